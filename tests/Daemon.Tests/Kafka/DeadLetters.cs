using System.Text;
using Recurring.Core.Data;
using Recurring.Daemon.Kafka;

namespace Recurring.Daemon.Tests.Kafka;

/// <summary>Sample dead letters for the sink tests.</summary>
internal static class DeadLetters
{
    public static readonly DateTimeOffset Rejected = new(2026, 11, 26, 12, 30, 0, TimeSpan.Zero);

    public static DeadLetter Malformed(string line = "1\tnot-a-number", long offset = 42) => new(
        Encoding.UTF8.GetBytes(line),
        Key: [0, 0, 0, 0, 0, 0, 0, 9],
        SourceTopic: "clicks",
        SourcePartition: 3,
        SourceOffset: offset,
        DeadLetterReason.Malformed(EventErrorKind.WrongFieldCount, "expected 40 tab-separated fields, found 2"),
        Rejected);

    public static DeadLetter FromPoisonedBatch(long offset = 43) => Malformed(offset: offset) with
    {
        Reason = DeadLetterReason.NonFiniteBatch("loss was NaN"),
    };
}
