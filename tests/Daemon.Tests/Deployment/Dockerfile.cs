using System.Text.Json;
using System.Text.RegularExpressions;

namespace Recurring.Daemon.Tests.Deployment;

internal sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>
/// A Dockerfile read as instructions (comments dropped, continuation lines joined), enough to check what an
/// image built from it will be. No Docker engine is involved.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<IReadOnlyList<DockerInstruction>> stages) => Stages = stages;

    /// <summary>Instructions per build stage, each starting with its FROM.</summary>
    public IReadOnlyList<IReadOnlyList<DockerInstruction>> Stages { get; }

    public IReadOnlyList<DockerInstruction> FinalStage => Stages[^1];

    public static Dockerfile Load(string relativePath)
    {
        var stages = new List<List<DockerInstruction>>();
        foreach (var instruction in Instructions(RepositoryLayout.ReadText(relativePath)))
        {
            if (instruction.Keyword == "FROM")
            {
                stages.Add([]);
            }
            else if (stages.Count == 0)
            {
                continue; // ARG before the first FROM: build arguments for FROM lines.
            }

            stages[^1].Add(instruction);
        }

        return new Dockerfile(stages);
    }

    public static string BaseImage(IReadOnlyList<DockerInstruction> stage) =>
        stage[0].Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];

    public string FinalStageArguments(string keyword) => FinalStage.Last(instruction => instruction.Keyword == keyword).Arguments;

    /// <summary>An exec-form (JSON array) instruction of the final stage, such as ENTRYPOINT or VOLUME.</summary>
    public string[] FinalStageExecForm(string keyword) =>
        JsonSerializer.Deserialize<string[]>(FinalStageArguments(keyword))
            ?? throw new InvalidDataException($"{keyword} is not a JSON array.");

    /// <summary>The environment of the final stage, from its ENV key=value pairs.</summary>
    public IReadOnlyDictionary<string, string> FinalStageEnvironment() =>
        FinalStage
            .Where(instruction => instruction.Keyword == "ENV")
            .SelectMany(instruction => instruction.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length == 2 ? pair[1] : throw new InvalidDataException($"ENV {pair[0]} is not in key=value form."));

    private static IEnumerable<DockerInstruction> Instructions(string text)
    {
        var logicalLine = "";
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.StartsWith('#') || (line.Length == 0 && logicalLine.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                logicalLine += line[..^1] + " ";
                continue;
            }

            logicalLine += line;
            if (logicalLine.Trim().Length > 0)
            {
                var match = InstructionPattern().Match(logicalLine.Trim());
                yield return new DockerInstruction(match.Groups["keyword"].Value.ToUpperInvariant(), match.Groups["arguments"].Value.Trim());
            }

            logicalLine = "";
        }
    }

    [GeneratedRegex(@"^(?<keyword>[A-Za-z]+)\s+(?<arguments>.*)$", RegexOptions.Singleline)]
    private static partial Regex InstructionPattern();
}
