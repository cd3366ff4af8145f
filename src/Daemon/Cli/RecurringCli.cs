using System.CommandLine;

namespace Recurring.Daemon.Cli;

public static class RecurringCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Recurring: trains a DLRM click model offline with alternate growth and pruning, then keeps it fresh from Kafka.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(TrainOfflineCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CheckpointsCommand.Create());
        return root;
    }
}
