using System.Diagnostics;

namespace Recurring.Daemon.Tests.Deployment;

internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Transcript => $"exit code {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

internal static class ExternalCommand
{
    /// <param name="standardInput">Written to the command's standard input, which is then closed; null leaves it unredirected.</param>
    /// <param name="environment">Variables set for the command only.</param>
    public static CommandResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? standardInput = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput != null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        if (standardInput != null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return new CommandResult(process.ExitCode, standardOutput.Result, standardError.Result);
    }
}
