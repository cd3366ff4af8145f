namespace Recurring.Core.Training;

public enum MlpOptimizerKind
{
    Adagrad,
    Sgd,
}

/// <summary>How the embedding table is updated.</summary>
public enum EmbeddingUpdateKind
{
    /// <summary>Row-wise Adagrad over the rows present in the batch only (one accumulator per row).</summary>
    RowWiseAdagrad,

    /// <summary>The whole table as one dense Adagrad parameter: the slow reference that `bench train` compares against.</summary>
    DenseAdagrad,
}

public sealed record OptimizerOptions
{
    public MlpOptimizerKind Mlp { get; init; } = MlpOptimizerKind.Adagrad;
    public double MlpLearningRate { get; init; } = 0.003;
    public EmbeddingUpdateKind EmbeddingUpdate { get; init; } = EmbeddingUpdateKind.RowWiseAdagrad;
    public double EmbeddingLearningRate { get; init; } = 0.05;

    /// <summary>Added to the Adagrad denominator (PyTorch's default is 1e-10).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>One line per problem, each starting with the property at fault; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(MlpLearningRate > 0) || double.IsInfinity(MlpLearningRate))
            errors.Add($"MlpLearningRate must be a positive number, not {MlpLearningRate}.");
        if (!(EmbeddingLearningRate > 0) || double.IsInfinity(EmbeddingLearningRate))
            errors.Add($"EmbeddingLearningRate must be a positive number, not {EmbeddingLearningRate}.");
        if (!(Epsilon > 0)) errors.Add($"Epsilon must be positive, not {Epsilon}.");
        return errors;
    }
}
