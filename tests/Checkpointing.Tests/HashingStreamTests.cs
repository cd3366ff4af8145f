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
    public void LargeWritesHashedOnAnotherCoreGiveTheSameHash()
    {
        var large = Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7)).ToArray();
        using var hashing = new HashingStream(new MemoryStream());
        hashing.Write(large.AsSpan(0, 1 << 20));
        hashing.Write(large.AsSpan(1 << 20));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(large)), hashing.Sha256());
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
