using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>
/// `recurring run` as a child process, the way a supervisor runs it: started with --Section:Key=value overrides,
/// killed with SIGKILL or stopped with SIGTERM, its output kept in a log file and in memory. The daemon's
/// executable is in the test's output folder (the test project references the daemon project).
/// </summary>
internal sealed partial class DaemonProcess : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<Uri> _admin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "recurring.dll");

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Every line written to stdout and stderr so far (stderr lines start with "! ").</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    public IEnumerable<string> ErrorLines => _lines.Where(l => l.StartsWith("! ", StringComparison.Ordinal)).Select(l => l[2..]);

    /// <summary>Starts `dotnet recurring.dll {command} {arguments}` in <paramref name="workingDirectory"/>, appending its output to <paramref name="logFile"/>.</summary>
    /// <param name="environment">Variables set for the process only, after the runner's RECURRING_ ones are removed.</param>
    public static DaemonProcess Start(string workingDirectory, string logFile, IEnumerable<string> arguments, string command = "run",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Executable);
        start.ArgumentList.Add(command);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Configuration comes from the arguments only: nothing from the test runner's environment leaks in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("RECURRING_", StringComparison.Ordinal) ||
                                                            k is "DOTNET_ENVIRONMENT" or "ASPNETCORE_ENVIRONMENT" or "MKL_CBWR").ToList())
            start.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;

        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        log.WriteLine($"=== {DateTime.UtcNow:O} dotnet {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var daemon = new DaemonProcess(process, log);
        process.OutputDataReceived += (_, e) => daemon.OnLine(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => daemon.OnLine(e.Data, error: true);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            (error ? _errorClosed : _outputClosed).TrySetResult();
            return;
        }
        var kept = error ? "! " + line : line;
        _lines.Enqueue(kept);
        lock (_log) _log.WriteLine(kept);
        if (!error && AdminLine().Match(line) is { Success: true } match) _admin.TrySetResult(new Uri(match.Groups[1].Value));
    }

    [GeneratedRegex(@"Admin: (http://[^ ,]+)")]
    private static partial Regex AdminLine();

    /// <summary>The admin port's base address, once the host started (null if the process ended first or the deadline passed).</summary>
    public async Task<Uri?> AdminAsync(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(_admin.Task, exited, Task.Delay(timeout));
        return done == _admin.Task ? _admin.Task.Result : null;
    }

    /// <summary>GET /status, or null when the daemon does not answer (not up yet, or gone).</summary>
    public async Task<JsonElement?> StatusAsync()
    {
        if (!_admin.Task.IsCompleted || HasExited) return null;
        try
        {
            using var response = await Http.GetAsync(new Uri(_admin.Task.Result, "/status"));
            if (!response.IsSuccessStatusCode) return null;
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>GET /health/ready's status code, or null when the daemon does not answer.</summary>
    public async Task<HttpStatusCode?> ReadinessAsync()
    {
        if (!_admin.Task.IsCompleted || HasExited) return null;
        try
        {
            using var response = await Http.GetAsync(new Uri(_admin.Task.Result, "/health/ready"));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>GET /metrics as text, or null when the daemon does not answer.</summary>
    public async Task<string?> MetricsAsync()
    {
        if (!_admin.Task.IsCompleted || HasExited) return null;
        try
        {
            return await Http.GetStringAsync(new Uri(_admin.Task.Result, "/metrics"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no handler runs, nothing is flushed; the process is gone when this returns.</summary>
    public void Kill()
    {
        if (!HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>
    /// SIGSTOP, then waits until every thread of the process has stopped, so nothing it does can happen between
    /// this call and the next <see cref="Kill"/> or <see cref="Thaw"/>. False when the process exited first.
    /// </summary>
    public bool Freeze()
    {
        if (HasExited || Libc.Kill(_process.Id, Libc.SigStop) != 0) return false;
        var deadline = Stopwatch.StartNew();
        while (!AllThreadsStopped())
        {
            if (HasExited) return false;
            if (deadline.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException($"process {_process.Id} did not stop within 10 s of SIGSTOP");
            Thread.Yield();
        }
        return true;
    }

    /// <summary>SIGCONT: a frozen process goes on where it stopped.</summary>
    public void Thaw() => Libc.Kill(_process.Id, Libc.SigCont);

    /// <summary>Every thread in /proc/PID/task is in state T (stopped) or gone; the state is the first field after the parenthesised name.</summary>
    private bool AllThreadsStopped()
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(task, "stat"));
                }
                catch (IOException)
                {
                    continue; // the thread ended
                }
                char state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (state is not ('T' or 't' or 'Z' or 'X')) return false;
            }
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true; // the process is gone
        }
    }

    /// <summary>SIGTERM: the graceful stop a supervisor sends (final checkpoint, then exit).</summary>
    public void Terminate()
    {
        if (HasExited) return;
        if (Libc.Kill(_process.Id, Libc.SigTerm) != 0 && !HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process and for the end of its output; false when the deadline passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    private static class Libc
    {
        public const int SigTerm = 15;
        public const int SigCont = 18;
        public const int SigStop = 19;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
