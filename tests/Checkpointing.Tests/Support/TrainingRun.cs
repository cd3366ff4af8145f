using Recurring.Core.Data;
using Recurring.Core.Model;
using Recurring.Core.Training;
using static TorchSharp.torch;

namespace Recurring.Checkpointing.Tests.Support;

/// <summary>A small model and its trainer, trained on seeded random batches.</summary>
internal sealed class TrainingRun : IDisposable
{
    public const long Seed = 7;

    public static DlrmConfig SmallConfig() => new()
    {
        EmbeddingDim = 4,
        Features = FeatureSchema.Criteo().WithRows(t => 10 + t),
        BottomLayers = [13, 8, 4],
        TopHidden = [6, 5],
    };

    public TrainingRun(int steps = 2)
    {
        Model = new DlrmModel(SmallConfig(), CPU, Seed);
        Trainer = new DlrmTrainer(Model, new OptimizerOptions());
        Train(steps);
    }

    public DlrmModel Model { get; }
    public DlrmTrainer Trainer { get; }

    public void Train(int steps)
    {
        for (int i = 0; i < steps; i++) Trainer.TrainStep(Batch((int)Trainer.Steps));
    }

    public TrainingSnapshot Snapshot(TrainingStage phase = TrainingStage.Offline) => new(Trainer, new CheckpointStage(phase), Seed);

    /// <summary>The same batch for the same step, so two runs can be compared step by step.</summary>
    /// <param name="features">The schema of the model the batch is for; <see cref="SmallConfig"/>'s by default.</param>
    public static FeatureBatch Batch(int step, int count = 16, FeatureSchema? features = null)
    {
        var random = new Random(1000 + step);
        var batch = new FeatureBatch(features ?? SmallConfig().Features, count);
        var dense = new float[batch.DenseWidth];
        var rows = new long[batch.SingleWidth];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < dense.Length; j++) dense[j] = (float)random.NextDouble();
            for (int t = 0; t < rows.Length; t++) rows[t] = random.Next(10);
            batch.Add(dense, rows, random.Next(4) == 0);
        }
        return batch;
    }

    /// <summary>
    /// What AMGP's pruning does to one hidden layer: keep its first <paramref name="keep"/> neurons, narrowing the
    /// layer's outputs, the next layer's inputs and their optimizer state alike.
    /// </summary>
    public void PruneHidden(Mlp mlp, int hidden, int keep)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var optimizer = Trainer.MlpOptimizer;
        string weight = Mlp.WeightName(mlp.Name, hidden), bias = Mlp.BiasName(mlp.Name, hidden), nextWeight = Mlp.WeightName(mlp.Name, hidden + 1);
        optimizer.SetState(weight, optimizer.State(weight)!.narrow(0, 0, keep).clone());
        optimizer.SetState(bias, optimizer.State(bias)!.narrow(0, 0, keep).clone());
        optimizer.SetState(nextWeight, optimizer.State(nextWeight)!.narrow(1, 0, keep).clone());
        mlp.SetLayer(hidden, mlp.Weight(hidden).narrow(0, 0, keep).clone(), mlp.Bias(hidden).narrow(0, 0, keep).clone());
        mlp.SetLayer(hidden + 1, mlp.Weight(hidden + 1).narrow(1, 0, keep).clone(), mlp.Bias(hidden + 1).clone());
    }

    public void Dispose()
    {
        Trainer.Dispose();
        Model.Dispose();
    }
}
