using System.Buffers.Binary;
using System.Reflection;
using Recurring.Build;
using TorchSharp;

namespace Recurring.Build.Tests;

public sealed class ElfVersioningTests : IDisposable
{
    private const string Needed = WeakenMissingGlibcxxVersion.VersionName;
    private const int SectionTableOffsetField = 0x28; // e_shoff in the 64-bit ELF header
    private const int SectionHeaderSize = 64;
    private const int SectionSizeField = 32; // sh_size in a 64-bit section header
    private readonly string _folder = Directory.CreateTempSubdirectory("recurring-elf-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TheShippedLibraryNeedsTheVersionStrongly()
    {
        var need = Assert.Single(NeedsOf(ShippedLibrary()), need => need.Version == Needed);

        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.IsWeak);
    }

    [Fact]
    public void WeakeningMarksTheNeedWeakAndLeavesEveryOtherNeedAsItWas()
    {
        var library = CopyOfShippedLibrary();
        var before = NeedsOf(library);

        Assert.True(ElfVersioning.WeakenVersionNeedInFile(library, Needed));

        var after = NeedsOf(library);
        Assert.True(Assert.Single(after, need => need.Version == Needed).IsWeak);
        Assert.Equal(before.Where(need => need.Version != Needed), after.Where(need => need.Version != Needed));
    }

    [Fact]
    public void WeakeningChangesExactlyOneByteAndKeepsTheLength()
    {
        var library = CopyOfShippedLibrary();
        var before = File.ReadAllBytes(library);

        ElfVersioning.WeakenVersionNeedInFile(library, Needed);

        var after = File.ReadAllBytes(library);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal(1, before.Zip(after).Count(pair => pair.First != pair.Second));
    }

    [Fact]
    public void WeakeningAgainChangesNothingAndSaysSo()
    {
        var library = CopyOfShippedLibrary();
        ElfVersioning.WeakenVersionNeedInFile(library, Needed);
        var once = File.ReadAllBytes(library);

        Assert.False(ElfVersioning.WeakenVersionNeedInFile(library, Needed));

        Assert.Equal(once, File.ReadAllBytes(library));
    }

    [Fact]
    public void BytesThatAreNotElfAreRefused()
    {
        AssertRefused("not an ELF file", "#!/bin/sh\necho this is no shared object\n"u8.ToArray());
    }

    [Fact]
    public void A32BitElfIsRefused()
    {
        AssertRefused("not a 64-bit ELF file", ShippedBytesWith(offset: 4, value: 1));
    }

    [Fact]
    public void ABigEndianElfIsRefused()
    {
        AssertRefused("not a little-endian ELF file", ShippedBytesWith(offset: 5, value: 2));
    }

    [Fact]
    public void ATruncatedLibraryIsRefused()
    {
        var shipped = File.ReadAllBytes(ShippedLibrary());

        AssertRefused("section header table lies outside the file", shipped[..(shipped.Length / 2)]);
    }

    [Fact]
    public void ASectionTableOffsetSoLargeThatItsEndOverflowsIsRefused()
    {
        var bytes = File.ReadAllBytes(ShippedLibrary());
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(SectionTableOffsetField), long.MaxValue - 100);

        AssertRefused("section header table lies outside the file", bytes);
    }

    [Fact]
    public void ASectionSoLargeThatItsEndOverflowsIsRefused()
    {
        var bytes = File.ReadAllBytes(ShippedLibrary());
        long sectionTable = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(SectionTableOffsetField));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((int)sectionTable + SectionHeaderSize + SectionSizeField), long.MaxValue);

        AssertRefused("section 1 lies outside the file", bytes);
    }

    [Fact]
    public void ALibraryWithoutTheNeedIsRefused()
    {
        var hostLibStdCxx = HostLibStdCxx.Locate();
        Assert.NotNull(hostLibStdCxx);

        AssertRefused($"no version need named {Needed}", File.ReadAllBytes(hostLibStdCxx));
    }

    [Fact]
    public void TheHostLibstdcxxDefinesTheVersionsItHasAndNoOthers()
    {
        var hostLibStdCxx = HostLibStdCxx.Locate();
        Assert.NotNull(hostLibStdCxx);
        var elf = File.ReadAllBytes(hostLibStdCxx);

        Assert.True(ElfVersioning.Defines(elf, "GLIBCXX_3.4.30"));
        Assert.False(ElfVersioning.Defines(elf, "GLIBCXX_3.4.99"));
    }

    [Fact]
    public void TheBuildWeakenedTheLibraryInThisOutputExactlyWhenTheHostLacksTheVersion()
    {
        var hostLibStdCxx = HostLibStdCxx.Locate();
        Assert.NotNull(hostLibStdCxx);
        bool hostHasVersion = ElfVersioning.Defines(File.ReadAllBytes(hostLibStdCxx), Needed);
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", WeakenMissingGlibcxxVersion.LibraryName);

        var need = Assert.Single(NeedsOf(output), need => need.Version == Needed);

        Assert.Equal(!hostHasVersion, need.IsWeak);
    }

    private void AssertRefused(string expectedMessage, byte[] bytes)
    {
        var path = Path.Combine(_folder, "refused.so");
        File.WriteAllBytes(path, bytes);

        var refusal = Assert.Throws<ElfFormatException>(() => ElfVersioning.WeakenVersionNeedInFile(path, Needed));

        Assert.Equal(expectedMessage, refusal.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    private string CopyOfShippedLibrary()
    {
        var copy = Path.Combine(_folder, WeakenMissingGlibcxxVersion.LibraryName);
        File.Copy(ShippedLibrary(), copy);
        return copy;
    }

    private static byte[] ShippedBytesWith(int offset, byte value)
    {
        var bytes = File.ReadAllBytes(ShippedLibrary());
        bytes[offset] = value;
        return bytes;
    }

    private static IReadOnlyList<VersionNeed> NeedsOf(string path) => ElfVersioning.ReadVersionNeeds(File.ReadAllBytes(path));

    /// <summary>The pristine copy in NuGet's global packages folder, which the build never modifies.</summary>
    private static string ShippedLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var informational = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var version = informational.Split('+')[0];
        var library = Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", WeakenMissingGlibcxxVersion.LibraryName);
        Assert.True(File.Exists(library), $"TorchSharp's native library is not in the NuGet cache at {library}");
        return library;
    }
}
