using System.CommandLine;
using Recurring.Core;
using Recurring.Daemon.Cli;

ReproducibleMath.EnableBeforeTorchLoads();
// System.CommandLine ends the process 2 s after SIGTERM or Ctrl-C unless told otherwise, which would cut off the
// daemon's final checkpoint (minutes for a large model). Commands stop on their cancellation token in their own time;
// the host bounds its own shutdown (HostOptions.ShutdownTimeout) and the supervisor its patience.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = Timeout.InfiniteTimeSpan };
return await RecurringCli.InvokeAsync(args, invocation);
