using System.Globalization;
using System.Text.Json.Serialization;

namespace Recurring.Core.Data;

/// <summary>How a raw dense value becomes a model input.</summary>
public enum DenseTransform
{
    /// <summary>The value as it is.</summary>
    None,

    /// <summary><c>log(1 + max(x, 0))</c>: Criteo's transform for counts.</summary>
    Log1p,

    /// <summary><c>(x - mean) / sqrt(variance)</c>, with mean and variance measured on the offline data (<see cref="FeatureStatistics"/>).</summary>
    Standardize,
}

/// <summary>How the embeddings of a multi-valued feature's values are combined into one, as in EmbeddingBag.</summary>
public enum Pooling
{
    Sum,
    Mean,
}

/// <param name="Name">The field name in an event.</param>
/// <param name="Default">The raw value assumed when the event lacks one, transformed like any other; null: the model
/// input is 0 for a missing value.</param>
public sealed record DenseFeature(string Name, DenseTransform Transform = DenseTransform.None, double? Default = null);

/// <param name="Name">The field name in an event.</param>
/// <param name="Rows">Rows of this feature's embedding table, row 0 reserved for a missing value.</param>
/// <param name="Multi">True when an event carries a list of values, pooled into one embedding.</param>
/// <param name="MaxValues">A multi-valued feature keeps this many values of an event; the rest are dropped and counted.</param>
/// <param name="Pooling">How a multi-valued feature's embeddings are combined.</param>
public sealed record SparseFeature(string Name, int Rows, bool Multi = false, int MaxValues = SparseFeature.DefaultMaxValues, Pooling Pooling = Pooling.Sum)
{
    public const int DefaultMaxValues = 16;

    /// <summary>Values an event may hold: 1 for a single-valued feature.</summary>
    [JsonIgnore]
    public int Capacity => Multi ? MaxValues : 1;
}

/// <summary>
/// What the model reads from each event: a 0/1 label, dense (numeric) features and sparse (categorical) features,
/// in this order. The order defines the model: dense feature i is bottom-MLP input i, sparse feature j owns the
/// j-th embedding table. New features may only be appended (<see cref="CompareWith"/>).
/// </summary>
public sealed record FeatureSchema
{
    public const string CriteoPreset = "criteo";
    public const int DefaultRows = 100_000;

    public FeatureSchema(string label, IReadOnlyList<DenseFeature> dense, IReadOnlyList<SparseFeature> sparse)
    {
        Label = label;
        Dense = dense.ToArray();
        Sparse = sparse.ToArray();
        SingleValued = Enumerable.Range(0, Sparse.Count).Where(j => !Sparse[j].Multi).ToArray();
        MultiValued = Enumerable.Range(0, Sparse.Count).Where(j => Sparse[j].Multi).ToArray();
    }

    public string Label { get; }
    public IReadOnlyList<DenseFeature> Dense { get; }
    public IReadOnlyList<SparseFeature> Sparse { get; }

    /// <summary>Indices into <see cref="Sparse"/> of the single-valued features, ascending.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> SingleValued { get; }

    /// <summary>Indices into <see cref="Sparse"/> of the multi-valued features, ascending.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> MultiValued { get; }

    /// <summary>
    /// Criteo's layout: label, I1-I13 (log1p) and C1-C26, each table with <paramref name="rowsPerTable"/> rows.
    /// </summary>
    public static FeatureSchema Criteo(int rowsPerTable = DefaultRows) => new(
        "label",
        Enumerable.Range(1, CriteoRecord.DenseCount).Select(i => new DenseFeature($"I{i}", DenseTransform.Log1p)).ToArray(),
        Enumerable.Range(1, CriteoRecord.CategoricalCount).Select(i => new SparseFeature($"C{i}", rowsPerTable)).ToArray());

    /// <summary>The same schema with sparse feature j's table sized <paramref name="rowsOfFeature"/>(j).</summary>
    public FeatureSchema WithRows(Func<int, int> rowsOfFeature) =>
        new(Label, Dense, Sparse.Select((feature, j) => feature with { Rows = rowsOfFeature(j) }).ToArray());

    /// <summary>True when this schema has Criteo's layout (13 dense then 26 single-valued sparse features), whatever the names and rows.</summary>
    [JsonIgnore]
    public bool HasCriteoLayout => Dense.Count == CriteoRecord.DenseCount && Sparse.Count == CriteoRecord.CategoricalCount && MultiValued.Count == 0;

    public int IndexOfDense(string name) => IndexOf(Dense, d => d.Name == name);
    public int IndexOfSparse(string name) => IndexOf(Sparse, s => s.Name == name);

    /// <summary>
    /// One line per problem, each naming its property path without a section prefix
    /// ("Sparse[2].MaxValues must be at least 1, not 0."); empty when the schema is usable.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        void Name(string path, string? name)
        {
            if (string.IsNullOrWhiteSpace(name)) errors.Add($"{path} must not be empty.");
            else if (name.Contains('\0')) errors.Add($"{path} must not contain a NUL character.");
            else if (!seen.TryAdd(name, path)) errors.Add($"{path} '{name}' is already the name of {seen[name]}.");
        }

        Name(nameof(Label), Label);
        for (int i = 0; i < Dense.Count; i++)
        {
            var feature = Dense[i];
            Name($"Dense[{i}].Name", feature.Name);
            if (!Enum.IsDefined(feature.Transform))
                errors.Add($"Dense[{i}].Transform must be none, log1p or standardize, not {feature.Transform}.");
            if (feature.Default is { } value && !double.IsFinite(value))
                errors.Add($"Dense[{i}].Default must be a finite number, not {value.ToString(CultureInfo.InvariantCulture)}.");
        }
        for (int j = 0; j < Sparse.Count; j++)
        {
            var feature = Sparse[j];
            Name($"Sparse[{j}].Name", feature.Name);
            if (feature.Rows < 2)
                errors.Add($"Sparse[{j}].Rows must be at least 2 (row 0 is reserved for a missing value), not {feature.Rows}.");
            if (feature.MaxValues < 1) errors.Add($"Sparse[{j}].MaxValues must be at least 1, not {feature.MaxValues}.");
            if (!Enum.IsDefined(feature.Pooling)) errors.Add($"Sparse[{j}].Pooling must be sum or mean, not {feature.Pooling}.");
        }
        if (Dense.Count == 0) errors.Add("Dense must list at least one feature (it feeds the bottom MLP).");
        if (Sparse.Count == 0) errors.Add("Sparse must list at least one feature (each owns an embedding table).");
        return errors;
    }

    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>
    /// How a model trained under <paramref name="stored"/> may continue under this schema: unchanged, grown by
    /// appended features, or not at all (one line per difference). The label's name and MaxValues only say how events
    /// are read, so they may change freely.
    /// </summary>
    public SchemaComparison CompareWith(FeatureSchema stored)
    {
        var differences = new List<string>();
        CompareKind(stored.Dense, Dense, ("dense", "sparse"), d => d.Name, IndexOfSparse, DescribeDense, differences);
        CompareKind(stored.Sparse, Sparse, ("sparse", "dense"), s => s.Name, IndexOfDense, DescribeSparse, differences);
        foreach (var added in Dense.Skip(stored.Dense.Count).Where(d => d.Transform == DenseTransform.Standardize && stored.IndexOfDense(d.Name) < 0))
            differences.Add($"dense feature '{added.Name}' is new and standardized, but its mean and variance can only be measured on offline data: append it with transform none or log1p.");
        return new SchemaComparison(differences, Dense.Skip(stored.Dense.Count).ToArray(), Sparse.Skip(stored.Sparse.Count).ToArray());
    }

    private static void CompareKind<T>(IReadOnlyList<T> stored, IReadOnlyList<T> configured, (string This, string Other) kinds, Func<T, string> name,
        Func<string, int> indexInOtherKind, Func<T, T, IEnumerable<string>> describe, List<string> differences)
    {
        string kind = kinds.This;
        for (int i = 0; i < stored.Count; i++)
        {
            string feature = name(stored[i]);
            int at = IndexOf(configured, c => name(c) == feature);
            if (at < 0)
            {
                differences.Add(indexInOtherKind(feature) >= 0
                    ? $"'{feature}' is {kind} in the checkpoint but {kinds.Other} in the configuration."
                    : $"{kind} feature '{feature}' is in the checkpoint but not in the configuration: removing a feature needs a new model.");
                continue;
            }
            if (at != i)
                differences.Add($"{kind} feature '{feature}' is number {i + 1} in the checkpoint but {at + 1} in the configuration: new features can only be appended.");
            differences.AddRange(describe(stored[i], configured[at]).Select(d => $"{kind} feature '{feature}': {d}."));
        }
    }

    private static IEnumerable<string> DescribeDense(DenseFeature stored, DenseFeature configured)
    {
        if (stored.Transform != configured.Transform)
            yield return $"transform is {Spell(stored.Transform)} in the checkpoint, {Spell(configured.Transform)} in the configuration";
        if (stored.Default != configured.Default)
            yield return $"default is {Spell(stored.Default)} in the checkpoint, {Spell(configured.Default)} in the configuration";
    }

    private static IEnumerable<string> DescribeSparse(SparseFeature stored, SparseFeature configured)
    {
        if (stored.Rows != configured.Rows)
            yield return $"{stored.Rows} rows in the checkpoint, {configured.Rows} in the configuration";
        if (stored.Multi != configured.Multi)
            yield return $"{Valued(stored.Multi)} in the checkpoint, {Valued(configured.Multi)} in the configuration";
        else if (stored.Multi && stored.Pooling != configured.Pooling)
            yield return $"pooling is {Spell(stored.Pooling)} in the checkpoint, {Spell(configured.Pooling)} in the configuration";
    }

    private static string Valued(bool multi) => multi ? "multi-valued" : "single-valued";

    /// <summary>The spelling configuration uses: "log1p", "standardize", "sum".</summary>
    public static string Spell<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Spell(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "none";

    private static int IndexOf<T>(IReadOnlyList<T> list, Func<T, bool> match)
    {
        for (int i = 0; i < list.Count; i++)
            if (match(list[i])) return i;
        return -1;
    }

    public bool Equals(FeatureSchema? other) =>
        other is not null && Label == other.Label && Dense.SequenceEqual(other.Dense) && Sparse.SequenceEqual(other.Sparse);

    public override int GetHashCode() => HashCode.Combine(Label, Dense.Count, Sparse.Count);
}

/// <param name="Differences">Why the stored model cannot continue under the configured schema; empty when it can.</param>
/// <param name="AddedDense">Dense features appended by the configured schema.</param>
/// <param name="AddedSparse">Sparse features appended by the configured schema.</param>
public sealed record SchemaComparison(IReadOnlyList<string> Differences, IReadOnlyList<DenseFeature> AddedDense, IReadOnlyList<SparseFeature> AddedSparse)
{
    public bool IsCompatible => Differences.Count == 0;
    public bool IsIdentical => IsCompatible && AddedDense.Count == 0 && AddedSparse.Count == 0;
}
