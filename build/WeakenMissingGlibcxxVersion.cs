// Compiled by MSBuild's RoslynCodeTaskFactory (see Directory.Build.targets) and linked into the Core tests.
// Why it exists: libLibTorchSharp.so (TorchSharp 0.107) needs symbol version GLIBCXX_3.4.32 for exactly one
// symbol, std::ios_base_library_init(), which GCC 13 emits as a bare reference with no relocation. Hosts with an
// older libstdc++ (Debian 12 stops at 3.4.30) refuse to load the library. Marking that version need VER_FLG_WEAK
// in .gnu.version_r makes the dynamic loader accept its absence; nothing else in the file changes.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Recurring.Build
{
    // The base class is qualified because the test project that links this file imports System.Threading.Tasks globally.
    /// <summary>MSBuild task: weakens the GLIBCXX version need of every libLibTorchSharp.so under the given folders.</summary>
    public sealed class WeakenMissingGlibcxxVersion : Microsoft.Build.Utilities.Task
    {
        public const string LibraryName = "libLibTorchSharp.so";
        public const string VersionName = "GLIBCXX_3.4.32";

        /// <summary>Build, test or publish output folders to scan recursively.</summary>
        [Required]
        public ITaskItem[] Directories { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>auto: only when the host's libstdc++ lacks the version; always; never.</summary>
        public string Mode { get; set; } = "auto";

        public override bool Execute()
        {
            var mode = (Mode ?? "auto").Trim().ToLowerInvariant();
            if (mode == "never") return true;
            if (mode != "auto" && mode != "always")
            {
                Log.LogError($"RecurringGlibcxxFix must be auto, always or never, not '{Mode}'.");
                return false;
            }

            var libraries = Directories
                .Select(item => item.ItemSpec)
                .Where(Directory.Exists)
                .SelectMany(dir => Directory.EnumerateFiles(dir, LibraryName, SearchOption.AllDirectories))
                .Distinct()
                .ToList();
            if (libraries.Count == 0) return true;

            if (mode == "auto")
            {
                var hostLibrary = HostLibStdCxx.Locate();
                if (hostLibrary != null && ElfVersioning.Defines(File.ReadAllBytes(hostLibrary), VersionName))
                {
                    Log.LogMessage(MessageImportance.Low, $"{hostLibrary} defines {VersionName}; {LibraryName} needs no change.");
                    return true;
                }
            }

            var patched = new List<string>();
            foreach (var library in libraries)
            {
                try
                {
                    if (ElfVersioning.WeakenVersionNeedInFile(library, VersionName)) patched.Add(library);
                }
                catch (Exception e) when (e is ElfFormatException || e is IOException)
                {
                    Log.LogError($"Cannot weaken {VersionName} in {library}: {e.Message}");
                    return false;
                }
            }

            if (patched.Count > 0)
            {
                Log.LogMessage(MessageImportance.High,
                    $"Recurring: marked the {VersionName} version need WEAK in {string.Join(", ", patched)} " +
                    "so TorchSharp loads with this host's older libstdc++.");
            }
            return true;
        }
    }

    /// <summary>The libstdc++ the dynamic loader would give this process.</summary>
    public static class HostLibStdCxx
    {
        private static readonly string[] WellKnownPaths =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        public static string? Locate()
        {
            // The .NET host itself is linked against libstdc++, so the copy mapped into this process is the one
            // the loader picks on this machine (honouring LD_LIBRARY_PATH and ld.so.conf).
            try
            {
                var mapped = File.ReadLines("/proc/self/maps")
                    .Select(line => line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                    .Where(fields => fields.Length >= 6 && fields[5].Contains("/libstdc++.so"))
                    .Select(fields => fields[5])
                    .FirstOrDefault();
                if (mapped != null && File.Exists(mapped)) return mapped;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            return WellKnownPaths.FirstOrDefault(File.Exists);
        }
    }

    public sealed class ElfFormatException : Exception
    {
        public ElfFormatException(string message) : base(message) { }
    }

    /// <summary>A GNU symbol version requirement (one Vernaux entry of .gnu.version_r).</summary>
    public readonly struct VersionNeed
    {
        public VersionNeed(string file, string version, ushort flags, long flagsOffset)
        {
            File = file;
            Version = version;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        public string File { get; }
        public string Version { get; }
        public ushort Flags { get; }
        /// <summary>Byte offset of vna_flags in the file.</summary>
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & ElfVersioning.VerFlagWeak) != 0;
    }

    /// <summary>Minimal, strict reader of the GNU symbol-versioning sections of 64-bit little-endian ELF files.</summary>
    public static class ElfVersioning
    {
        public const ushort VerFlagWeak = 0x2;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtStrtab = 3;
        private const ushort EtDyn = 3;
        private const ushort EmX8664 = 62;
        private const ushort EmAarch64 = 183;
        private const int ElfHeaderSize = 64;
        private const int SectionHeaderSize = 64;

        private readonly struct Section
        {
            public Section(uint type, long offset, long size, uint link, uint info)
            {
                Type = type;
                Offset = offset;
                Size = size;
                Link = link;
                Info = info;
            }

            public uint Type { get; }
            public long Offset { get; }
            public long Size { get; }
            public uint Link { get; }
            public uint Info { get; }
        }

        /// <summary>Every version need of a shared object, in file order.</summary>
        public static IReadOnlyList<VersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var sections = ReadSections(elf);
            var needs = new List<VersionNeed>();
            foreach (var verneed in sections.Where(s => s.Type == ShtGnuVerneed))
            {
                var strings = StringTable(sections, verneed.Link);
                long entry = verneed.Offset;
                for (uint i = 0; i < verneed.Info; i++)
                {
                    RequireRange(elf, entry, 16, verneed, "Verneed");
                    ushort version = U16(elf, entry);
                    if (version != 1) throw new ElfFormatException($"unsupported Verneed version {version}");
                    ushort auxCount = U16(elf, entry + 2);
                    string file = ReadString(elf, strings, U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int j = 0; j < auxCount; j++)
                    {
                        RequireRange(elf, aux, 16, verneed, "Vernaux");
                        needs.Add(new VersionNeed(file, ReadString(elf, strings, U32(elf, aux + 8)), U16(elf, aux + 4), aux + 4));
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, entry + 12);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return needs;
        }

        /// <summary>Whether the object defines (exports) the given symbol version.</summary>
        public static bool Defines(byte[] elf, string version)
        {
            var sections = ReadSections(elf);
            foreach (var verdef in sections.Where(s => s.Type == ShtGnuVerdef))
            {
                var strings = StringTable(sections, verdef.Link);
                long entry = verdef.Offset;
                for (uint i = 0; i < verdef.Info; i++)
                {
                    RequireRange(elf, entry, 20, verdef, "Verdef");
                    ushort auxCount = U16(elf, entry + 6);
                    long aux = entry + U32(elf, entry + 12);
                    if (auxCount > 0)
                    {
                        RequireRange(elf, aux, 8, verdef, "Verdaux");
                        if (ReadString(elf, strings, U32(elf, aux)) == version) return true;
                    }
                    uint next = U32(elf, entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return false;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the need for <paramref name="version"/>. Returns false when it was already weak.
        /// Throws when the file is not a shared object that needs that version.
        /// </summary>
        public static bool WeakenVersionNeed(byte[] elf, string version)
        {
            var matches = ReadVersionNeeds(elf).Where(n => n.Version == version).ToList();
            if (matches.Count == 0) throw new ElfFormatException($"no version need named {version}");
            bool changed = false;
            foreach (var need in matches.Where(n => !n.IsWeak))
            {
                WriteU16(elf, need.FlagsOffset, (ushort)(need.Flags | VerFlagWeak));
                changed = true;
            }
            return changed;
        }

        /// <summary>
        /// Patches a file through a temporary sibling and a rename (so a hard link into the NuGet cache is never
        /// modified) and keeps its timestamp so incremental copies still see it as up to date.
        /// </summary>
        public static bool WeakenVersionNeedInFile(string path, string version)
        {
            var bytes = File.ReadAllBytes(path);
            var original = (byte[])bytes.Clone();
            if (!WeakenVersionNeed(bytes, version)) return false;
            var lastWrite = File.GetLastWriteTimeUtc(path);
            var temporary = path + ".weakening";
            File.Copy(path, temporary, overwrite: true); // keeps the file mode
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
            {
                for (int i = 0; i < bytes.Length; i++)
                {
                    if (bytes[i] == original[i]) continue;
                    stream.Position = i;
                    stream.WriteByte(bytes[i]);
                }
                stream.Flush(flushToDisk: true);
            }
            File.SetLastWriteTimeUtc(temporary, lastWrite);
            File.Replace(temporary, path, destinationBackupFileName: null);
            return true;
        }

        private static List<Section> ReadSections(byte[] elf)
        {
            if (elf.Length < ElfHeaderSize || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new ElfFormatException("not an ELF file");
            if (elf[4] != 2) throw new ElfFormatException("not a 64-bit ELF file");
            if (elf[5] != 1) throw new ElfFormatException("not a little-endian ELF file");
            if (elf[6] != 1) throw new ElfFormatException($"unknown ELF version {elf[6]}");
            ushort type = U16(elf, 16);
            if (type != EtDyn) throw new ElfFormatException($"not a shared object (e_type {type})");
            ushort machine = U16(elf, 18);
            if (machine != EmX8664 && machine != EmAarch64) throw new ElfFormatException($"unexpected machine {machine}");

            long sectionTable = (long)U64(elf, 0x28);
            ushort entrySize = U16(elf, 0x3A);
            ushort count = U16(elf, 0x3C);
            if (entrySize != SectionHeaderSize) throw new ElfFormatException($"unexpected section header size {entrySize}");
            // Compared by subtraction: offsets come from the file and their sums could overflow.
            if (count == 0 || sectionTable <= 0 || sectionTable > elf.Length - (long)count * entrySize)
                throw new ElfFormatException("section header table lies outside the file");

            var sections = new List<Section>(count);
            for (int i = 0; i < count; i++)
            {
                long header = sectionTable + (long)i * entrySize;
                var section = new Section(U32(elf, header + 4), (long)U64(elf, header + 24), (long)U64(elf, header + 32),
                    U32(elf, header + 40), U32(elf, header + 44));
                // SHT_NOBITS (8) occupies no file space; every other section must lie inside the file.
                if (section.Type != 8 && section.Type != 0 && (section.Offset < 0 || section.Size < 0 || section.Size > elf.Length - section.Offset))
                    throw new ElfFormatException($"section {i} lies outside the file");
                sections.Add(section);
            }
            return sections;
        }

        private static Section StringTable(List<Section> sections, uint index)
        {
            if (index >= sections.Count || sections[(int)index].Type != ShtStrtab)
                throw new ElfFormatException("versioning section does not link to a string table");
            return sections[(int)index];
        }

        private static void RequireRange(byte[] elf, long offset, int length, Section section, string what)
        {
            if (offset < section.Offset || offset + length > section.Offset + section.Size || offset + length > elf.Length)
                throw new ElfFormatException($"{what} entry at {offset} lies outside its section");
        }

        private static string ReadString(byte[] elf, Section table, uint offset)
        {
            long start = table.Offset + offset;
            long end = start;
            long limit = table.Offset + table.Size;
            while (end < limit && elf[end] != 0) end++;
            if (offset >= table.Size || end >= limit) throw new ElfFormatException($"string at {offset} is not terminated inside its table");
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
        private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

        private static void WriteU16(byte[] b, long o, ushort value)
        {
            b[o] = (byte)value;
            b[o + 1] = (byte)(value >> 8);
        }
    }
}
