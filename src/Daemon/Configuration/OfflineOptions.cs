using Recurring.Core.Growth;

namespace Recurring.Daemon.Configuration;

/// <summary>Section "Offline": the history the offline phase trains on.</summary>
public sealed class OfflineOptions
{
    public const string Section = "Offline";

    /// <summary>A Criteo TSV file or a folder of them (read in name order); empty means synthetic data.</summary>
    public string Data { get; set; } = "";

    /// <summary>Training events drawn from the synthetic generator when <see cref="Data"/> is empty.</summary>
    public long SyntheticEvents { get; set; } = 3_000_000;

    /// <summary>Held-out events: the ones right after the training range (synthetic) or the last lines of the data.</summary>
    public int EvalEvents { get; set; } = 100_000;

    public int EvaluateEverySteps { get; set; } = 250;

    /// <summary>Alternate growth and pruning during the offline phase (section Offline:Amgp).</summary>
    public AmgpOptions Amgp { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        if (!string.IsNullOrEmpty(Data) && !File.Exists(Data) && !Directory.Exists(Data))
            yield return $"Offline:Data: '{Data}' is neither a file nor a folder.";
        if (SyntheticEvents < 1) yield return $"Offline:SyntheticEvents must be at least 1, not {SyntheticEvents}.";
        if (EvalEvents < 1) yield return $"Offline:EvalEvents must be at least 1, not {EvalEvents}.";
        if (EvaluateEverySteps < 1) yield return $"Offline:EvaluateEverySteps must be at least 1, not {EvaluateEverySteps}.";
        foreach (var error in Amgp.Validate()) yield return error;
    }
}
