namespace Recurring.Daemon.Tests.Architecture;

public sealed class NamespaceCycleTests
{
    [Fact]
    public void NoNamespaceInSrcReachesItselfThroughItsImports()
    {
        var cycles = NamespaceDependencies.Cycles(NamespaceDependencies.OfSources());

        Assert.True(cycles.Count == 0, "Namespaces that import one another: " + string.Join("; ", cycles.Select(c => string.Join(" <-> ", c))));
    }

    [Fact]
    public void TheLayersPointInwardFromDaemonToCheckpointingToCore()
    {
        var graph = NamespaceDependencies.OfSources();

        Assert.DoesNotContain(graph.Where(n => n.Key.StartsWith("Recurring.Core", StringComparison.Ordinal)).SelectMany(n => n.Value),
            target => !target.StartsWith("Recurring.Core", StringComparison.Ordinal));
        Assert.DoesNotContain(graph.Where(n => n.Key.StartsWith("Recurring.Checkpointing", StringComparison.Ordinal)).SelectMany(n => n.Value),
            target => target.StartsWith("Recurring.Daemon", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCycleFinderReportsAnImportLoopAndNothingElse()
    {
        var graph = new Dictionary<string, IReadOnlySet<string>>
        {
            ["A"] = new HashSet<string> { "B" },
            ["B"] = new HashSet<string> { "C" },
            ["C"] = new HashSet<string> { "A" },
            ["D"] = new HashSet<string> { "A" },
        };

        Assert.Equal(["A", "B", "C"], Assert.Single(NamespaceDependencies.Cycles(graph)));
    }
}
