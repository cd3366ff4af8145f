namespace Recurring.Daemon.Configuration;

/// <summary>The known spelling nearest to a mistyped one, for "did you mean ...?" hints.</summary>
public static class ClosestMatch
{
    /// <summary>
    /// The candidate with the fewest single-character edits from <paramref name="typed"/> (case ignored), or null
    /// when even that one differs in more than a third of its characters: then it is a different word, not a typo.
    /// </summary>
    public static string? Find(string typed, IEnumerable<string> candidates) => Find(candidates.Select(candidate => (typed, candidate, candidate)));

    /// <summary>
    /// The same over pairs that each compare their own typed text (a part of what was typed, say) with a candidate,
    /// answering with the pair's <c>Result</c>.
    /// </summary>
    public static string? Find(IEnumerable<(string Typed, string Candidate, string Result)> pairs)
    {
        var best = pairs
            .Select(pair => (pair.Typed, pair.Result, Distance: EditDistance(pair.Typed.ToLowerInvariant(), pair.Candidate.ToLowerInvariant())))
            .OrderBy(match => match.Distance)
            .FirstOrDefault();
        return best.Result is not null && best.Distance <= Math.Max(2, best.Typed.Length / 3) ? best.Result : null;
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
