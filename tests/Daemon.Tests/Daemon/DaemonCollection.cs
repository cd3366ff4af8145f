using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

/// <summary>
/// The daemon tests share one embedded cluster (each takes its own topic and group) and run one at a time, apart
/// from the other test classes: each starts a whole daemon, and their deadlines assume it has the cores to itself.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DaemonCollection : ICollectionFixture<KafkaClusterFixture>
{
    public const string Name = "Daemon";
}
