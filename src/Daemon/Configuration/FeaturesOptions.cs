using Recurring.Core.Data;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// Section "Features": what the model reads from each event. Either <c>Preset: "criteo"</c> (the default when the
/// section is absent: label, I1-I13 with log1p, C1-C26) or a Label with Dense and Sparse lists, e.g.
/// <code>
/// "Features": { "Label": "clicked",
///   "Dense":  [ { "Name": "price", "Transform": "log1p" }, { "Name": "hour" } ],
///   "Sparse": [ { "Name": "user_id", "Rows": 200000 }, { "Name": "tags", "Multi": true, "MaxValues": 16, "Pooling": "mean" } ] }
/// </code>
/// </summary>
public sealed class FeaturesOptions
{
    public const string Section = "Features";

    /// <summary>"criteo", or empty for the schema given by Label, Dense and Sparse (criteo when those are absent too).</summary>
    public string Preset { get; set; } = "";

    /// <summary>The event field holding the 0/1 label; "label" when not given.</summary>
    public string? Label { get; set; }

    // Null until configured: lists from several sources merge index by index, so they have no default here.
    public DenseFeatureOptions[]? Dense { get; set; }
    public SparseFeatureOptions[]? Sparse { get; set; }

    private bool IsCustom => Label is not null || Dense is not null || Sparse is not null;

    /// <summary>The schema, its tables' rows resolved: a sparse feature without Rows gets <paramref name="defaultRows"/> (Model:RowsPerTable).</summary>
    public FeatureSchema ToSchema(int defaultRows)
    {
        if (!IsCustom) return FeatureSchema.Criteo(defaultRows);
        return new FeatureSchema(
            Label ?? "label",
            (Dense ?? []).Select(d => new DenseFeature(d.Name ?? "", ParseOr(d.Transform, DenseTransform.None), d.Default)).ToArray(),
            (Sparse ?? []).Select(s => new SparseFeature(s.Name ?? "", s.Rows ?? defaultRows, s.Multi, s.MaxValues ?? SparseFeature.DefaultMaxValues,
                ParseOr(s.Pooling, Pooling.Sum))).ToArray());
    }

    /// <summary>One line per problem, each naming its key ("Features:Sparse[2].MaxValues ...").</summary>
    public IEnumerable<string> Validate(int defaultRows)
    {
        // An invalid Model:RowsPerTable is reported there, once, not again for every table that inherits it.
        defaultRows = Math.Max(defaultRows, 2);
        bool criteo = string.Equals(Preset, FeatureSchema.CriteoPreset, StringComparison.OrdinalIgnoreCase);
        if (!criteo && Preset.Length > 0)
        {
            yield return $"Preset must be '{FeatureSchema.CriteoPreset}' or empty (a schema given by Label, Dense and Sparse), not '{Preset}'.";
            yield break;
        }
        if (criteo)
        {
            if (IsCustom) yield return $"Preset '{FeatureSchema.CriteoPreset}' fixes the schema: remove Label, Dense and Sparse, or the preset.";
            yield break;
        }
        for (int i = 0; i < (Dense?.Length ?? 0); i++)
            if (!IsValid<DenseTransform>(Dense![i].Transform))
                yield return $"Dense[{i}].Transform must be none, log1p or standardize, not '{Dense[i].Transform}'.";
        for (int j = 0; j < (Sparse?.Length ?? 0); j++)
        {
            var sparse = Sparse![j];
            if (!IsValid<Pooling>(sparse.Pooling)) yield return $"Sparse[{j}].Pooling must be sum or mean, not '{sparse.Pooling}'.";
            if (!sparse.Multi && (sparse.MaxValues is not null || sparse.Pooling is not null))
                yield return $"Sparse[{j}] ('{sparse.Name}') sets MaxValues or Pooling but is not Multi: set \"Multi\": true, or remove them.";
        }
        foreach (var problem in ToSchema(defaultRows).Validate()) yield return $"{problem}";
    }

    private static bool IsValid<TEnum>(string? text) where TEnum : struct, Enum =>
        text is null || (Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _));

    private static TEnum ParseOr<TEnum>(string? text, TEnum fallback) where TEnum : struct, Enum =>
        text is not null && IsValid<TEnum>(text) ? Enum.Parse<TEnum>(text, ignoreCase: true) : fallback;
}

/// <summary>One entry of Features:Dense.</summary>
public sealed class DenseFeatureOptions
{
    public string? Name { get; set; }

    /// <summary>none (default), log1p or standardize.</summary>
    public string? Transform { get; set; }

    /// <summary>The raw value assumed when an event lacks one; without it a missing value is 0 after the transform.</summary>
    public double? Default { get; set; }
}

/// <summary>One entry of Features:Sparse.</summary>
public sealed class SparseFeatureOptions
{
    public string? Name { get; set; }

    /// <summary>Embedding rows; Model:RowsPerTable when not given.</summary>
    public int? Rows { get; set; }

    /// <summary>True for a list of values per event, pooled into one embedding.</summary>
    public bool Multi { get; set; }

    /// <summary>Values kept per event (multi-valued features only); 16 when not given.</summary>
    public int? MaxValues { get; set; }

    /// <summary>sum (default) or mean (multi-valued features only).</summary>
    public string? Pooling { get; set; }
}
