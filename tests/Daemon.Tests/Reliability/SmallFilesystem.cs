using System.Diagnostics;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// A tmpfs of a fixed size mounted on a folder: a disk that really fills up. Mounting needs root (CAP_SYS_ADMIN);
/// <see cref="CanMount"/> tells whether this machine allows it.
/// </summary>
internal sealed class SmallFilesystem : IDisposable
{
    private static readonly Lazy<string?> MountProblem = new(Probe);

    private SmallFilesystem(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null when a tmpfs can be mounted here, otherwise why not.</summary>
    public static string? CannotMount => MountProblem.Value;

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> on <paramref name="path"/> (an empty folder, created).</summary>
    public static SmallFilesystem Mount(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code != 0) throw new InvalidOperationException($"mount -t tmpfs failed ({code}): {error}");
        return new SmallFilesystem(path);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose() => Run("umount", "-l", Path);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "tmpfs needs Linux";
        var probe = Directory.CreateTempSubdirectory("recurring-mount-probe-").FullName;
        try
        {
            var (code, error) = Run("mount", "-t", "tmpfs", "-o", "size=65536", "tmpfs", probe);
            if (code != 0) return $"mounting a tmpfs is not permitted here ({error.Trim()})";
            Run("umount", probe);
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"cannot run mount: {e.Message}";
        }
        finally
        {
            Directory.Delete(probe);
        }
    }

    private static (int Code, string Error) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}

/// <summary>A fact that runs only where a tmpfs can be mounted (root with CAP_SYS_ADMIN), and says why it was skipped otherwise.</summary>
public sealed class SmallFilesystemFactAttribute : FactAttribute
{
    public SmallFilesystemFactAttribute()
    {
        if (SmallFilesystem.CannotMount is { } reason) Skip = $"{reason}; DiskFullInProcessTests covers the same promises with a fault-injecting store";
    }
}
