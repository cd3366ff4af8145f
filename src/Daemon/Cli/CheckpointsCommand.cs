using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Recurring.Checkpointing;
using Recurring.Daemon.Configuration;
using Spectre.Console;

namespace Recurring.Daemon.Cli;

/// <summary><c>recurring checkpoints list|verify|pin|unpin|prune --dir D [--json]</c>.</summary>
public static class CheckpointsCommand
{
    public static Command Create()
    {
        var command = new Command("checkpoints", "Inspect, verify, pin and prune the checkpoints in a folder.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Pin("pin", "Keep a checkpoint through every prune.", pinned: true));
        command.Subcommands.Add(Pin("unpin", "Let retention delete a checkpoint again.", pinned: false));
        command.Subcommands.Add(Prune());
        return command;
    }

    private static Option<string> Dir() => new("--dir") { Description = "The checkpoint folder.", Required = true };

    private static Argument<string> Id() => new("id") { Description = "The checkpoint, e.g. ckpt-20261126T140000.123Z-000000012345." };

    private static Command List()
    {
        var dir = Dir();
        var json = CommonOptions.Json();
        var command = new Command("list", "Every checkpoint, newest first, each verified against its manifest.") { dir, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, async (manager, output) =>
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
        var dir = Dir();
        var json = CommonOptions.Json();
        var id = new Argument<string?>("id") { Description = "One checkpoint; all when left out.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("verify", "Check sizes and SHA-256 of every file; exits 1 when any checkpoint is damaged.") { dir, id, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, async (manager, output) =>
        {
            var only = result.GetValue(id);
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
        var dir = Dir();
        var json = CommonOptions.Json();
        var id = Id();
        var command = new Command(name, description) { dir, id, json };
        command.SetAction((result, cancellationToken) => Run(result, dir, async (manager, output) =>
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
        var dir = Dir();
        var json = CommonOptions.Json();
        var keepLast = new Option<int?>("--keep-last") { Description = "Newest checkpoints to keep (default Checkpoints:KeepLast)." };
        var keepDays = new Option<int?>("--keep-days") { Description = "Days whose newest checkpoint is kept (default Checkpoints:KeepDailyDays)." };
        var command = new Command("prune", "Apply retention: keep the last N, the newest of each of the last D days and pinned ones; delete the rest.")
        {
            dir, keepLast, keepDays, json,
        };
        // Configuration overrides (--Checkpoints:KeepLast=3) come through as unmatched tokens.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, cancellationToken) =>
        {
            var options = RecurringConfiguration.Build(CommonOptions.ConfigurationOverrides(result)).GetSection(CheckpointOptions.Section).Get<CheckpointOptions>() ?? new();
            options.KeepLast = result.GetValue(keepLast) ?? options.KeepLast;
            options.KeepDailyDays = result.GetValue(keepDays) ?? options.KeepDailyDays;
            return Run(result, dir, async (manager, output) =>
            {
                var plan = await manager.ApplyRetentionAsync(cancellationToken);
                var table = new Table().AddColumn(new TableColumn("id").NoWrap()).AddColumns("kept", "why");
                foreach (var decision in plan.Decisions) table.AddRow(decision.Id, decision.Keep ? "yes" : "deleted", decision.Reason);
                Terminal.For(output).Write(table);
                output.WriteLine($"Kept {plan.Decisions.Count - plan.Deletions.Count}, deleted {plan.Deletions.Count}.");
                if (result.GetValue(json))
                    JsonReport.Write(output, new { Kept = plan.Decisions.Where(d => d.Keep).Select(d => d.Id), Deleted = plan.Deletions });
                return 0;
            }, options);
        });
        return command;
    }

    /// <summary>Opens the folder, runs the action, and turns a checkpoint error into one line on stderr and exit code 1.</summary>
    private static async Task<int> Run(ParseResult result, Option<string> dir, Func<CheckpointManager, TextWriter, Task<int>> action, CheckpointOptions? options = null)
    {
        var output = result.InvocationConfiguration.Output;
        var directory = result.GetRequiredValue(dir);
        if (!Directory.Exists(directory))
        {
            await result.InvocationConfiguration.Error.WriteLineAsync($"Checkpoint folder '{directory}' does not exist.");
            return 1;
        }
        options ??= new CheckpointOptions();
        options.Directory = directory;
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems) await result.InvocationConfiguration.Error.WriteLineAsync(problem);
            return 1;
        }
        try
        {
            return await action(CheckpointManager.ForDirectory(options), output);
        }
        catch (CheckpointException e)
        {
            await result.InvocationConfiguration.Error.WriteLineAsync(e.Message);
            return 1;
        }
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
    private sealed record Row(string Id, long? Step, CheckpointPhase? Phase, DateTime CreatedUtc, long? Bytes, bool Valid, bool Pinned, string? Problem)
    {
        public static Row Of(CheckpointStatus status) => new(
            status.Id,
            status.Manifest?.Counters.Steps,
            status.Manifest?.Phase,
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
