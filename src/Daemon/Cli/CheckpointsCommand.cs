using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Recurring.Checkpointing;
using Recurring.Checkpointing.Remote;
using Recurring.Daemon.Configuration;
using Recurring.Daemon.Streaming;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary>
/// <c>recurring checkpoints list|verify|pin|unpin|prune (--dir D | --remote URI) [--json]</c>,
/// <c>pull --remote URI --id ID --dir D</c> / <c>push --dir D --remote URI [--id ID]</c> between the two, and
/// <c>skip --dir D --partition P --to OFFSET</c> to step over events that stop the daemon, and
/// <c>apply-deltas --dir D --out D2 [--base ID] [--through DELTA]</c>. Remote
/// credentials come from the configuration (Checkpoints:Remote:..., by environment variable or --Section:Key=value)
/// or the SDKs' own chains.
/// </summary>
public static class CheckpointsCommand
{
    public static Command Create()
    {
        var command = new Command("checkpoints", "Inspect, verify, pin and prune the checkpoints in a folder or an object store.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Pin("pin", "Keep a checkpoint through every prune.", pinned: true));
        command.Subcommands.Add(Pin("unpin", "Let retention delete a checkpoint again.", pinned: false));
        command.Subcommands.Add(Prune());
        command.Subcommands.Add(Pull());
        command.Subcommands.Add(Push());
        command.Subcommands.Add(Skip());
        command.Subcommands.Add(ApplyDeltas());
        // Configuration overrides (--Checkpoints:Remote:AccountKey=..., --Checkpoints:KeepLast=3) come through as unmatched tokens.
        foreach (var subcommand in command.Subcommands) subcommand.TreatUnmatchedTokensAsErrors = false;
        return command;
    }

    private static Option<string?> Dir(bool required = false) => new("--dir") { Description = "The checkpoint folder.", Required = required };

    private static Option<string?> Remote(bool required = false) => new("--remote")
    {
        Description = "The object store instead of a folder: s3://bucket/prefix, s3+http(s)://host:port/bucket/prefix, or https://account.blob.core.windows.net/container/prefix.",
        Required = required,
    };

    private static Argument<string> Id() => CheckpointIdsOnly(new Argument<string>("id") { Description = "The checkpoint, e.g. ckpt-s000000000042-20261126T140000.123Z-000000012345." });

    /// <summary>A word that is no checkpoint name (a mistyped option, say) fails the parse instead of being looked for.</summary>
    private static Argument<T> CheckpointIdsOnly<T>(Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            // An override in the id's place is left to the configuration (see Configured).
            if (result.Tokens.FirstOrDefault(t => !CheckpointId.TryParse(t.Value, out _) && !IsOverride(t.Value)) is { } token)
                result.AddError($"'{token.Value}' is not a checkpoint name (ckpt-s<sequence>-<time>-<step>, as `checkpoints list` shows them).");
        });
        return argument;
    }

    private static Command List()
    {
        var (dir, remote) = (Dir(), Remote());
        var json = CommonOptions.Json();
        var command = new Command("list", "Every checkpoint, newest first, each verified against its manifest.") { dir, remote, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, remote, async (manager, output) =>
        {
            var statuses = await manager.ListAsync(cancellationToken);
            WriteTable(output, statuses);
            if (result.GetValue(json)) JsonReport.Write(output, new { Checkpoints = statuses.Select(Row.Of) });
            return 0;
        }));
        return command;
    }

    private static Command Verify()
    {
        var (dir, remote) = (Dir(), Remote());
        var json = CommonOptions.Json();
        var id = CheckpointIdsOnly(new Argument<string?>("id") { Description = "One checkpoint; all when left out.", Arity = ArgumentArity.ZeroOrOne });
        var command = new Command("verify", "Check sizes and SHA-256 of every file; exits 1 when any checkpoint is damaged.") { dir, remote, id, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, remote, async (manager, output) =>
        {
            var only = result.GetValue(id) is { } given && !IsOverride(given) ? given : null;
            IReadOnlyList<CheckpointStatus> statuses = only is null
                ? await manager.ListAsync(cancellationToken)
                : [await manager.VerifyAsync(only, cancellationToken)];
            WriteTable(output, statuses);
            int invalid = statuses.Count(s => !s.IsValid);
            output.WriteLine(invalid == 0 ? $"{statuses.Count} valid." : $"{invalid} of {statuses.Count} damaged.");
            if (result.GetValue(json)) JsonReport.Write(output, new { Checkpoints = statuses.Select(Row.Of), Valid = statuses.Count - invalid, Invalid = invalid });
            return invalid == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Command Pin(string name, string description, bool pinned)
    {
        var (dir, remote) = (Dir(), Remote());
        var json = CommonOptions.Json();
        var id = Id();
        var command = new Command(name, description) { dir, remote, id, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, remote, async (manager, output) =>
        {
            var checkpoint = result.GetRequiredValue(id);
            if (pinned) await manager.PinAsync(checkpoint, cancellationToken);
            else await manager.UnpinAsync(checkpoint, cancellationToken);
            output.WriteLine($"{checkpoint} is {(pinned ? "pinned" : "no longer pinned")}.");
            if (result.GetValue(json)) JsonReport.Write(output, new { Id = checkpoint, Pinned = pinned });
            return 0;
        }));
        return command;
    }

    private static Command Prune()
    {
        var (dir, remote) = (Dir(), Remote());
        var json = CommonOptions.Json();
        var keepLast = new Option<int?>("--keep-last") { Description = "Newest checkpoints to keep (default Checkpoints:KeepLast)." };
        var keepDays = new Option<int?>("--keep-days") { Description = "Days whose newest checkpoint is kept (default Checkpoints:KeepDailyDays)." };
        var command = new Command("prune", "Apply retention: keep the last N, the newest of each of the last D days and pinned ones; delete the rest.")
        {
            dir, remote, keepLast, keepDays, json,
        };
        command.SetAction((result, cancellationToken) =>
        {
            // The store's own rule (Checkpoints:Remote:KeepLast) applies there unless the command line says otherwise.
            bool isRemote = result.GetValue(remote) is not null;
            void Rule(CheckpointOptions options)
            {
                options.KeepLast = result.GetValue(keepLast) ?? (isRemote ? options.Remote.KeepLast : null) ?? options.KeepLast;
                options.KeepDailyDays = result.GetValue(keepDays) ?? (isRemote ? options.Remote.KeepDailyDays : null) ?? options.KeepDailyDays;
            }
            return Run(result, dir, remote, async (manager, output) =>
            {
                var plan = await manager.ApplyRetentionAsync(cancellationToken);
                var table = new Table().AddColumn(new TableColumn("id").NoWrap()).AddColumns("kept", "why");
                foreach (var decision in plan.Decisions) table.AddRow(decision.Id, decision.Keep ? "yes" : "deleted", decision.Reason);
                Terminal.For(output).Write(table);
                output.WriteLine($"Kept {plan.Decisions.Count - plan.Deletions.Count}, deleted {plan.Deletions.Count}.");
                if (result.GetValue(json))
                    JsonReport.Write(output, new { Kept = plan.Decisions.Where(d => d.Keep).Select(d => d.Id), Deleted = plan.Deletions });
                return 0;
            }, Rule);
        });
        return command;
    }

    private static Command Pull()
    {
        var (dir, remote) = (Dir(required: true), Remote(required: true));
        var id = new Option<string>("--id") { Description = "The checkpoint to download.", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("pull", "Download a checkpoint from the object store into a folder, verified (sizes and SHA-256) before it appears there.")
        {
            remote, id, dir, json,
        };
        command.SetAction((result, cancellationToken) => RunBoth(result, dir, remote, createFolder: true, async (store, output) =>
        {
            var checkpoint = result.GetRequiredValue(id);
            long started = TimeProvider.System.GetTimestamp();
            await store.PullAsync(checkpoint, cancellationToken);
            var status = await store.Local.VerifyAsync(checkpoint, cancellationToken);
            var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            output.WriteLine($"{checkpoint} is in {Path.GetFullPath(store.Options.Directory)}: {status.Manifest!.FileBytes / 1e6:N1} MB in {seconds:F1} s, verified.");
            if (result.GetValue(json)) JsonReport.Write(output, new { Id = checkpoint, Bytes = status.Manifest.FileBytes, Seconds = seconds });
            return 0;
        }));
        return command;
    }

    private static Command Push()
    {
        var (dir, remote) = (Dir(required: true), Remote(required: true));
        var id = new Option<string?>("--id") { Description = "The checkpoint to upload (default: the newest valid one)." };
        var json = CommonOptions.Json();
        var command = new Command("push", "Upload a local checkpoint to the object store: its files first, each read back and checked, the manifest last.")
        {
            dir, remote, id, json,
        };
        command.SetAction((result, cancellationToken) => RunBoth(result, dir, remote, createFolder: false, async (store, output) =>
        {
            var checkpoint = result.GetValue(id)
                ?? (await store.Local.ListAsync(cancellationToken)).FirstOrDefault(s => s.IsValid)?.Id
                ?? throw new CheckpointException($"There is no valid checkpoint in {Path.GetFullPath(store.Options.Directory)} to upload.");
            var copy = await store.UploadAsync(checkpoint, cancellationToken);
            output.WriteLine($"{checkpoint} is in {copy.Uri}: {copy.Bytes / 1e6:N1} MB in {copy.Duration.TotalSeconds:F1} s ({copy.BytesPerSecond / 1e6:N0} MB/s), read back and verified.");
            if (result.GetValue(json)) JsonReport.Write(output, new { copy.Id, copy.Uri, copy.Bytes, Seconds = copy.Duration.TotalSeconds, copy.BytesPerSecond });
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Writes a new checkpoint, a copy of the newest valid one whose position in one partition is moved forward to
    /// --to: the daemon's next start reads on from there, stepping over the offsets between. The new checkpoint's
    /// counters record it (streaming.operator_skips, streaming.events_skipped_by_operator), and every later one carries
    /// them on. For the offset a daemon cannot get past; with the daemon stopped, or its next checkpoint supersedes this.
    /// </summary>
    private static Command Skip()
    {
        var dir = Dir(required: true);
        var partition = new Option<int>("--partition") { Description = "The partition whose position moves.", Required = true }.InRange(0, int.MaxValue);
        var to = new Option<long>("--to") { Description = "The offset the next start reads first; the offsets before it, from the stored position on, are skipped.", Required = true }
            .InRange(0, long.MaxValue);
        var topic = new Option<string?>("--topic") { Description = "The topic (default Kafka:Topic)." };
        var json = CommonOptions.Json();
        var command = new Command("skip", "Step over offsets of one partition: a new checkpoint, the newest one's copy with that position moved forward (stop the daemon first).")
        {
            dir, partition, to, topic, json,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var directory = result.GetRequiredValue(dir)!;
            if (!Directory.Exists(directory)) return Fail(result, 2, $"Checkpoint folder '{directory}' does not exist.");
            var options = Configured(result);
            options.Directory = directory;
            var skip = new StreamPosition(result.GetValue(topic) ?? ConfiguredTopic(result), result.GetValue(partition), result.GetValue(to));
            return Guarded(result, options, uri: null, async () =>
            {
                var manager = CheckpointManager.ForDirectory(options);
                using var newest = await manager.RestoreLatestAsync(TorchSharp.torch.CPU, accept: null, cancellationToken)
                                   ?? throw new CheckpointException($"There is no valid checkpoint in {Path.GetFullPath(directory)} to skip from.");
                var manifest = newest.Manifest;
                if (manifest.Stage.Kind == TrainingStage.Offline)
                    throw new CheckpointException($"The newest checkpoint, {manifest.Id}, is from an unfinished offline phase: nothing streams from it yet.");
                var positions = manifest.Stage.Kind == TrainingStage.Streaming ? manifest.Positions.Kafka : [];
                long? from = positions.SingleOrDefault(p => p.Of == skip.Of)?.NextOffset;
                if (from >= skip.NextOffset)
                {
                    await result.InvocationConfiguration.Error.WriteLineAsync(
                        $"--to {skip.NextOffset} is not after {skip.Of}'s position in {manifest.Id}, {from}: nothing to skip.");
                    return 2;
                }
                var counters = StreamingCounters.From(manifest);
                counters = counters with
                {
                    OperatorSkips = counters.OperatorSkips + 1,
                    SkippedByOperator = counters.SkippedByOperator + (skip.NextOffset - (from ?? skip.NextOffset)),
                };
                var snapshot = new TrainingSnapshot(newest.Trainer, new CheckpointStage(TrainingStage.Streaming), manifest.Seed)
                {
                    Positions = new DataPositions([], [.. positions.Where(p => p.Of != skip.Of), skip]) { KafkaSource = manifest.Positions.KafkaSource },
                    Counters = counters.ToNamed(),
                    Metrics = manifest.Metrics,
                };
                var written = await manager.SaveAsync(snapshot, pin: false, cancellationToken);
                var was = from is { } offset ? $"{offset}" : "none stored: Kafka:StartFrom";
                result.InvocationConfiguration.Output.WriteLine(
                    $"{written.Id}: a copy of {manifest.Id} that reads {skip.Of} from offset {skip.NextOffset} (was {was}). The daemon's next start resumes from it.");
                if (result.GetValue(json))
                    JsonReport.Write(result.InvocationConfiguration.Output, new { written.Id, From = manifest.Id, skip.Topic, skip.Partition, Previous = from, To = skip.NextOffset });
                return 0;
            });
        });
        return command;
    }

    private static Command ApplyDeltas()
    {
        var dir = Dir(required: true);
        var baseId = new Option<string?>("--base") { Description = "The checkpoint whose deltas are applied (default: the newest valid one)." };
        var through = new Option<string?>("--through") { Description = "The last delta to apply (default: the whole chain)." };
        var output = new Option<string>("--out")
        {
            Description = "The checkpoint folder the result is written into, created if needed (not one a running daemon writes to: one writer per folder).",
            Required = true,
        };
        var json = CommonOptions.Json();
        var command = new Command("apply-deltas",
            "Apply a checkpoint's deltas and write the result as a checkpoint: bit for bit the model, optimizer state, counters and positions the trainer had at the last delta.")
        {
            dir, baseId, through, output, json,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var directory = result.GetRequiredValue(dir)!;
            var (chosenBase, last, into) = (result.GetValue(baseId), result.GetValue(through), result.GetRequiredValue(output));
            if (!Directory.Exists(directory)) return Fail(result, 2, $"Checkpoint folder '{directory}' does not exist.");
            if (chosenBase is not null && !CheckpointId.TryParse(chosenBase, out _)) return Fail(result, 2, $"--base '{chosenBase}' is not a checkpoint name (ckpt-s<sequence>-<time>-<step>).");
            if (last is not null && !DeltaId.TryParse(last, out _, out _)) return Fail(result, 2, $"--through '{last}' is not a delta name (delta-s<base sequence>-<index>-<time>-<step>).");
            if (string.IsNullOrWhiteSpace(into)) return Fail(result, 2, "--out needs a folder.");
            var options = Configured(result);
            options.Directory = directory;
            return Guarded(result, options, uri: null, async () =>
            {
                var manager = CheckpointManager.ForDirectory(options);
                var from = chosenBase ?? (await manager.ListAsync(hashContents: false, cancellationToken)).FirstOrDefault(s => s.IsValid)?.Id
                    ?? throw new CheckpointException($"There is no valid checkpoint in {Path.GetFullPath(directory)}.");
                var (restored, applied) = await manager.RestoreWithDeltasAsync(from, last, TorchSharp.torch.CPU, cancellationToken);
                using (restored)
                {
                    var manifest = restored.Manifest;
                    var newest = applied.LastOrDefault();
                    var snapshot = new TrainingSnapshot(restored.Trainer, newest is null ? manifest.Stage : new CheckpointStage(TrainingStage.Streaming), manifest.Seed)
                    {
                        Positions = newest?.Positions ?? manifest.Positions,
                        Metrics = newest?.Metrics ?? manifest.Metrics,
                        Counters = newest?.Counters.Other ?? manifest.Counters.Other,
                    };
                    Directory.CreateDirectory(into);
                    var written = await CheckpointManager.ForDirectory(new CheckpointOptions
                    {
                        Directory = into,
                        RetryAttempts = options.RetryAttempts,
                        RetryBaseDelayMilliseconds = options.RetryBaseDelayMilliseconds,
                        RetryMaxDelayMilliseconds = options.RetryMaxDelayMilliseconds,
                    }).SaveAsync(snapshot, pin: false, cancellationToken);
                    var writer = result.InvocationConfiguration.Output;
                    writer.WriteLine($"{from} + {applied.Count} delta(s){(newest is null ? "" : $" through {newest.Id}")} is {written.Id} in {Path.GetFullPath(into)}: " +
                                     $"step {restored.Trainer.Steps:N0}, {written.Bytes / 1e6:N1} MB.");
                    if (result.GetValue(json))
                        JsonReport.Write(writer, new { Base = from, Deltas = applied.Select(d => d.Id), written.Id, Path = Path.Combine(Path.GetFullPath(into), written.Id), restored.Trainer.Steps, written.Bytes });
                }
                return 0;
            });
        });
        return command;
    }

    private static string ConfiguredTopic(ParseResult result) =>
        RecurringConfiguration.Build(result.Tokens.Select(t => t.Value).Where(IsOverride).Distinct().ToArray())
            .GetSection(KafkaOptions.Section).Get<KafkaOptions>()?.Topic ?? new KafkaOptions().Topic;

    /// <summary>Checkpoints options from appsettings, RECURRING_ environment variables and --Section:Key=value overrides.</summary>
    /// <remarks>
    /// Read from all tokens, not only the unmatched ones: an optional positional argument (verify's id) would
    /// otherwise swallow the first override.
    /// </remarks>
    internal static CheckpointOptions Configured(ParseResult result) =>
        RecurringConfiguration.Build(result.Tokens.Select(t => t.Value).Where(IsOverride).Distinct().ToArray())
            .GetSection(CheckpointOptions.Section).Get<CheckpointOptions>() ?? new();

    private static bool IsOverride(string token) => token.StartsWith("--", StringComparison.Ordinal) && token.Contains(':');

    /// <summary>
    /// Opens the folder or the object store (exactly one of them), runs the action, and turns a failure into one line
    /// on stderr: exit code 2 for bad arguments or configuration, 1 for a checkpoint or storage failure.
    /// </summary>
    private static Task<int> Run(ParseResult result, Option<string?> dir, Option<string?> remote, Func<CheckpointManager, TextWriter, Task<int>> action,
        Action<CheckpointOptions>? configure = null)
    {
        var (directory, uri) = (result.GetValue(dir), result.GetValue(remote));
        if ((directory is null) == (uri is null)) return Fail(result, 2, "Give either --dir (a local folder) or --remote (an object store URI).");
        if (directory is not null && !Directory.Exists(directory)) return Fail(result, 2, $"Checkpoint folder '{directory}' does not exist.");
        var options = Configured(result);
        options.Directory = directory ?? options.Directory;
        configure?.Invoke(options);
        return Guarded(result, options, uri, async () =>
        {
            if (uri is null) return await action(CheckpointManager.ForDirectory(options), result.InvocationConfiguration.Output);
            using var objects = ObjectStores.Open(options.Remote, uri);
            return await action(new CheckpointManager(new ObjectCheckpointStore(objects), options), result.InvocationConfiguration.Output);
        });
    }

    /// <summary>For commands between a folder and an object store (pull, push).</summary>
    private static Task<int> RunBoth(ParseResult result, Option<string?> dir, Option<string?> remote, bool createFolder, Func<RemoteCheckpointStore, TextWriter, Task<int>> action)
    {
        var (directory, uri) = (result.GetRequiredValue(dir)!, result.GetRequiredValue(remote)!);
        if (!createFolder && !Directory.Exists(directory)) return Fail(result, 2, $"Checkpoint folder '{directory}' does not exist.");
        var options = Configured(result);
        options.Directory = directory;
        return Guarded(result, options, uri, async () =>
        {
            using var store = RemoteCheckpointStore.Open(options, uri);
            return await action(store, result.InvocationConfiguration.Output);
        });
    }

    private static async Task<int> Guarded(ParseResult result, CheckpointOptions options, string? uri, Func<Task<int>> action)
    {
        var problems = new CheckpointOptionsValidator().Problems(options).ToList();
        if (uri is not null)
        {
            try
            {
                RemoteLocation.Parse(kind: null, uri, options.Remote.Endpoint);
            }
            catch (FormatException e)
            {
                problems.Add($"--remote {e.Message}");
            }
        }
        if (problems.Count > 0)
        {
            foreach (var problem in problems) await result.InvocationConfiguration.Error.WriteLineAsync(problem);
            return 2;
        }
        try
        {
            return await action();
        }
        catch (ArgumentException e)
        {
            // The store cannot be opened as configured (a missing key for an emulator URL).
            await result.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (Exception e) when (e is CheckpointException or InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // A store that stays unreachable through the retries, refused credentials, a damaged remote copy: one line each.
            await result.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static async Task<int> Fail(ParseResult result, int code, string message)
    {
        await result.InvocationConfiguration.Error.WriteLineAsync(message);
        return code;
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<CheckpointStatus> statuses)
    {
        if (statuses.Count == 0)
        {
            output.WriteLine("No checkpoints.");
            return;
        }
        var table = new Table()
            .AddColumn(new TableColumn("id").NoWrap())
            .AddColumns("step", "phase", "time (UTC)", "size", "valid", "pinned");
        foreach (var row in statuses.Select(Row.Of))
        {
            table.AddRow(
                row.Id,
                row.Step?.ToString("N0") ?? "?",
                Markup.Escape(row.PhaseText()),
                row.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss"),
                row.Bytes is long bytes ? $"{bytes / 1e6:N1} MB" : "?",
                row.Valid ? "yes" : "[red]NO[/]",
                row.Pinned ? "pinned" : "");
        }
        Terminal.For(output).Write(table);
        foreach (var damaged in statuses.Where(s => !s.IsValid)) output.WriteLine($"{damaged.Id}: {damaged.Problem}");
    }

    /// <summary>One checkpoint as the table and the --json object show it.</summary>
    private sealed record Row(string Id, long? Step, CheckpointStage? Phase, DateTime CreatedUtc, long? Bytes, bool Valid, bool Pinned, string? Problem)
    {
        public static Row Of(CheckpointStatus status) => new(
            status.Id,
            status.Manifest?.Counters.Steps,
            status.Manifest?.Stage,
            status.CreatedUtc,
            status.Manifest?.FileBytes,
            status.IsValid,
            status.Pinned,
            status.Problem);

        public string PhaseText()
        {
            if (Phase is null) return "?";
            var kind = JsonNamingPolicy.KebabCaseLower.ConvertName(Phase.Kind.ToString());
            return Phase.AmgpPhaseIndex is int index ? $"{kind}, {Phase.AmgpMode ?? "AMGP"} phase {index}" : kind;
        }
    }
}
