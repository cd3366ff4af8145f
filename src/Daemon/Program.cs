using Recurring.Daemon.Cli;

return await RecurringCli.Build().Parse(args).InvokeAsync();
