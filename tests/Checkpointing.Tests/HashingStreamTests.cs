using System.Security.Cryptography;

namespace Recurring.Checkpointing.Tests;

public class HashingStreamTests
{
    private static readonly byte[] Bytes = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31)).ToArray();

    [Fact]
    public void WritesAreHashedAndCounted()
    {
        using var hashing = new HashingStream(new MemoryStream());
        hashing.Write(Bytes.AsSpan(0, 1234));
        hashing.Write(Bytes.AsSpan(1234));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Bytes)), hashing.Sha256());
        Assert.Equal(Bytes.Length, hashing.Count);
    }

    [Fact]
    public async Task ReadsAreHashedAndCounted()
    {
        await using var hashing = new HashingStream(new MemoryStream(Bytes));
        await hashing.CopyToAsync(Stream.Null);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Bytes)), hashing.Sha256());
        Assert.Equal(Bytes.Length, hashing.Count);
    }
}
