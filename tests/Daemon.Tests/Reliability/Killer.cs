using Xunit.Abstractions;

namespace Recurring.Daemon.Tests.Reliability;

/// <summary>When a daemon gets its SIGKILL.</summary>
internal enum KillMoment
{
    /// <summary>A random delay after the process started: loading libtorch, restoring, joining the group, or already training.</summary>
    DuringStart,

    /// <summary>Once /status says it consumed a randomly chosen number of events.</summary>
    AfterEvents,

    /// <summary>While a checkpoint is being written: its temporary folder has appeared and is still there when the daemon is frozen.</summary>
    DuringCheckpointWrite,
}

/// <summary>One kill: when, what the daemon had done by then, and what it left behind.</summary>
internal sealed record KillRecord(int Run, KillMoment Moment, string Detail, long ResumedFrom, long ConsumedSeen, IReadOnlyList<string> TemporaryLeft,
    int Checkpoints, long NewestConsumed)
{
    /// <summary>The kill hit a checkpoint write before its rename: the write's temporary folder was left behind.</summary>
    public bool InterruptedAWrite => TemporaryLeft.Any(t => t.StartsWith(".tmp-write-", StringComparison.Ordinal));
}

/// <summary>Starts a scenario's daemon and kills it with SIGKILL at a chosen moment; checks what a kill left behind.</summary>
internal sealed class Killer(DaemonScenario scenario, ITestOutputHelper output, Random random, int events, long checkpointEvery)
{
    public List<KillRecord> Kills { get; } = [];

    /// <summary>
    /// K moments: two fifths during a checkpoint write first, then a fifth during start-up and the rest after some
    /// events in a seeded random order. The writes come first because a fast machine trains the whole sequence in
    /// less time than a start-up or after-events kill takes to land, and once it has, no write is left to interrupt.
    /// </summary>
    public static IReadOnlyList<KillMoment> Plan(Random random, int kills)
    {
        int duringStart = Math.Max(1, kills / 5), duringWrite = Math.Max(1, 2 * kills / 5);
        var rest = Enumerable.Repeat(KillMoment.DuringStart, duringStart)
            .Concat(Enumerable.Repeat(KillMoment.AfterEvents, kills - duringStart - duringWrite))
            .ToArray();
        random.Shuffle(rest);
        return [.. Enumerable.Repeat(KillMoment.DuringCheckpointWrite, duringWrite), .. rest];
    }

    /// <summary>Runs the daemon once and kills it at <paramref name="moment"/>; returns the record after checking the checkpoint folder.</summary>
    public async Task<KillRecord> RunAndKillAsync(KillMoment moment, int kills)
    {
        long resume = await ResumePointAsync();
        var staleBefore = CheckpointInspection.Folders(scenario.Checkpoints).Temporary;
        // Kill during the n-th checkpoint write of the run (or the first after it still under way once frozen), when there are n more to come.
        int writes = (int)Math.Min(4, (events - resume) / checkpointEvery);
        if (moment == KillMoment.DuringCheckpointWrite && writes < 1) moment = KillMoment.AfterEvents;
        int nth = moment == KillMoment.DuringCheckpointWrite ? random.Next(1, writes + 1) : 0;
        string detail;
        long consumedSeen = -1;
        DaemonProcess daemon;
        switch (moment)
        {
            case KillMoment.DuringStart:
            {
                int delay = random.Next(200, 2500);
                daemon = scenario.StartNoWait();
                await Task.Delay(delay);
                consumedSeen = await LastConsumedAsync(daemon);
                daemon.Kill();
                detail = $"{delay} ms after the process started";
                break;
            }
            case KillMoment.AfterEvents:
            {
                long span = Math.Max(1, Math.Min(events - resume - 1, 3L * events / kills));
                long target = Math.Min(events, resume + 1 + random.NextInt64(span));
                daemon = await scenario.StartAsync();
                var status = await scenario.WaitForStatusAsync(daemon, s => DaemonScenario.Consumed(s) >= target, TimeSpan.FromMinutes(2), $"{target} events consumed");
                consumedSeen = DaemonScenario.Consumed(status);
                daemon.Kill();
                detail = $"after {target} events consumed";
                break;
            }
            case KillMoment.DuringCheckpointWrite:
            {
                var writing = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                DaemonProcess? target = null;
                var seen = new HashSet<string>();
                void OnFolder(string? name)
                {
                    if (name is null || !name.StartsWith(".tmp-write-", StringComparison.Ordinal)) return;
                    lock (seen)
                    {
                        if (!seen.Add(name) || seen.Count < nth || writing.Task.IsCompleted || Volatile.Read(ref target) is not { } running) return;
                        // Freeze, then look: a small write can finish before any signal lands, so SIGKILL only while its
                        // temporary folder is still there; a write that got done first lets the daemon go on to the next.
                        if (!running.Freeze()) return;
                        if (Directory.Exists(Path.Combine(scenario.Checkpoints, name)))
                        {
                            // The result first: the kill makes the exit task complete, and the waiter must find this one done.
                            // Nothing happens in between, the daemon is frozen.
                            writing.TrySetResult($"checkpoint {seen.Count} of the run, {name}");
                            running.Kill();
                        }
                        else
                        {
                            running.Thaw();
                        }
                    }
                }
                using var watcher = Watch(scenario.Checkpoints, OnFolder);
                daemon = scenario.StartNoWait();
                Volatile.Write(ref target, daemon);
                var exited = daemon.WaitForExitAsync(TimeSpan.FromMinutes(2));
                if (watcher is null) _ = PollAsync(scenario.Checkpoints, OnFolder, exited);
                // The kill follows the write's start at once: both tasks may be complete by now, whichever continuation ran first.
                await Task.WhenAny(writing.Task, exited);
                if (!writing.Task.IsCompleted) scenario.Fail("the daemon exited or timed out before writing a checkpoint");
                daemon.Kill();
                detail = $"while writing {writing.Task.Result}{(watcher is null ? " (polled: no inotify instance left)" : "")}";
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(moment));
        }
        daemon.Dispose();

        var (checkpoints, temporary, _) = CheckpointInspection.Folders(scenario.Checkpoints);
        // Whatever moment the kill hit, every checkpoint folder is complete and verifies.
        var statuses = await CheckpointInspection.Manager(scenario.Checkpoints).ListAsync(CancellationToken.None);
        foreach (var status in statuses)
            if (!status.IsValid) scenario.Fail($"after the kill {detail}, checkpoint {status.Id} does not verify: {status.Problem}");
        long newest = await ResumePointAsync();
        // Only the folders this run left: an earlier kill's may still be there when this one lands before the start's clean-up.
        var record = new KillRecord(Kills.Count + 1, moment, detail, resume, consumedSeen, temporary.Except(staleBefore).ToArray(), checkpoints.Length, newest);
        Kills.Add(record);
        output.WriteLine($"kill {record.Run}: {moment} {detail}; resumed from {resume}, consumed {(consumedSeen < 0 ? "?" : consumedSeen)} when killed; " +
                         $"left {checkpoints.Length} checkpoints (newest at {newest} events){(record.TemporaryLeft.Count > 0 ? $" and {string.Join(", ", record.TemporaryLeft)}" : "")}");
        return record;
    }

    /// <summary>Tells <paramref name="onCreated"/> about each folder created in <paramref name="directory"/>; null when inotify has no instance left.</summary>
    private static FileSystemWatcher? Watch(string directory, Action<string?> onCreated)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.DirectoryName };
            watcher.Created += (_, e) => onCreated(e.Name);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The fallback: lists the folder every millisecond until <paramref name="until"/> completes; folders there from the start do not count.</summary>
    private static async Task PollAsync(string directory, Action<string?> onCreated, Task until)
    {
        var existing = Directory.EnumerateDirectories(directory).ToHashSet();
        while (!until.IsCompleted)
        {
            foreach (var folder in Directory.EnumerateDirectories(directory))
                if (!existing.Contains(folder)) onCreated(Path.GetFileName(folder));
            await Task.Delay(1);
        }
    }

    /// <summary>Events consumed in the history of the newest valid checkpoint (sizes and SHA-256 verified): where the next start resumes.</summary>
    public async Task<long> ResumePointAsync()
    {
        var newest = (await CheckpointInspection.Manager(scenario.Checkpoints).ListAsync(CancellationToken.None)).First(c => c.IsValid);
        return CheckpointInspection.Consumed(newest.Manifest!);
    }

    private static async Task<long> LastConsumedAsync(DaemonProcess daemon) =>
        await daemon.StatusAsync() is { } status && DaemonScenario.IsStreaming(status) ? DaemonScenario.Consumed(status) : -1;
}
