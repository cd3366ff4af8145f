using Recurring.Core;
using Recurring.Daemon.Cli;

ReproducibleMath.EnableBeforeTorchLoads();
return await RecurringCli.Build().Parse(args).InvokeAsync();
