using System.Text.RegularExpressions;
using Recurring.Daemon.Tests.Deployment;

namespace Recurring.Daemon.Tests.Architecture;

/// <summary>
/// Which of our namespaces each namespace under src/ uses, read from the source: its `using Recurring.…` lines and
/// any fully qualified `Recurring.…` names in its code.
/// </summary>
internal static partial class NamespaceDependencies
{
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> OfSources()
    {
        var files = Directory.EnumerateFiles(RepositoryLayout.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Text: File.ReadAllText(f), Namespace: DeclaredNamespace().Match(File.ReadAllText(f))))
            .Where(f => f.Namespace.Success)
            .Select(f => (f.Text, Namespace: f.Namespace.Groups[1].Value))
            .ToList();
        var known = files.Select(f => f.Namespace).ToHashSet(StringComparer.Ordinal);
        var uses = known.ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (text, ns) in files)
        {
            foreach (Match reference in Reference().Matches(text))
            {
                // The longest namespace the name starts with: Recurring.Core.Data.Synthetic.ZipfSampler is in .Synthetic.
                var target = LongestKnownPrefix(reference.Groups[1].Value, known);
                if (target is not null && target != ns && !ns.StartsWith(target + ".", StringComparison.Ordinal)) uses[ns].Add(target);
            }
        }
        return uses.ToDictionary(u => u.Key, u => (IReadOnlySet<string>)u.Value, StringComparer.Ordinal);
    }

    /// <summary>Each group of namespaces that reach one another (strongly connected, more than one member).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlySet<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        int next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var target in graph.GetValueOrDefault(node) ?? new HashSet<string>())
            {
                if (!index.ContainsKey(target))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[node] = Math.Min(low[node], index[target]);
                }
            }
            if (low[node] != index[node]) return;
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            } while (member != node);
            if (component.Count > 1) cycles.Add(component.Order(StringComparer.Ordinal).ToList());
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(node)) Visit(node);
        return cycles;
    }

    private static string? LongestKnownPrefix(string name, IReadOnlySet<string> known)
    {
        for (var candidate = name; candidate.Contains('.'); candidate = candidate[..candidate.LastIndexOf('.')])
            if (known.Contains(candidate)) return candidate;
        return null;
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex DeclaredNamespace();

    [GeneratedRegex(@"(?<![\w.])(Recurring(?:\.[A-Z]\w*)+)")]
    private static partial Regex Reference();
}
