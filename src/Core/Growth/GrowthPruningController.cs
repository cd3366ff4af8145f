using Recurring.Core.Model;
using Recurring.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurring.Core.Growth;

/// <summary>A prune or a growth, as logs, metrics and the daemon's status report it.</summary>
public sealed record PhaseChange(long Step, int PhaseIndex, bool Pruned, IReadOnlyList<int> BottomHidden, IReadOnlyList<int> TopHidden);

/// <summary>
/// Drives a <see cref="GrowthPruningSchedule"/> during training: before each step it brings the MLPs to the width
/// the step's phase wants. It reads the current state from the model's own widths, so a run restored from a
/// checkpoint in the middle of a pruned phase continues pruned without pruning twice. Fresh regrown neurons draw their
/// weights from a generator seeded by (seed, step), so a rerun regrows identically; with <see cref="Regrowth.Restore"/>
/// the removed neurons come back from a copy taken before the prune, kept in memory only.
/// </summary>
public sealed class GrowthPruningController : IStructureSchedule, IDisposable
{
    private readonly DlrmModel _model;
    private readonly NeuronSurgery _surgery;
    private readonly long _seed;
    private readonly ImportanceStatistics _statistics;
    private readonly MlpOptimizer _optimizer;
    private readonly Dictionary<string, FullWidthSnapshot> _beforePrune = new();
    private long _step;
    private bool _warmingUp;

    public GrowthPruningController(GrowthPruningSchedule schedule, DlrmModel model, MlpOptimizer optimizer, long seed)
    {
        Schedule = schedule;
        _model = model;
        _surgery = new NeuronSurgery(optimizer);
        _optimizer = optimizer;
        _seed = seed;
        _statistics = new ImportanceStatistics(model);
        IsPruned = model.Mlps.Any(mlp => !mlp.Widths.SequenceEqual(mlp.FullWidths));
    }

    public GrowthPruningSchedule Schedule { get; }
    public bool IsPruned { get; private set; }

    /// <summary><see cref="AmgpOptions.PrunedLearningRateScale"/> while the MLPs are pruned (resumed ones included), 1 otherwise.</summary>
    public double LearningRateScale => IsPruned ? Schedule.Options.PrunedLearningRateScale : 1;

    public event Action<PhaseChange>? PhaseChanged;

    public TrainingPhase PhaseAt(long step) => Schedule.PhaseAt(step);

    /// <summary>Whether the trainer should hand each step's tensors to <see cref="ObserveStep"/>: only for criteria that need statistics.</summary>
    public bool ObservesSteps => Schedule.Options.Importance != ImportanceCriterion.WeightNorm;

    /// <summary>
    /// Brings the MLPs to the width of the step's phase, and sets the step factors of fresh regrown neurons while they
    /// warm up (<see cref="AmgpOptions.RegrownWarmupFraction"/>). Both follow from the step number and the widths alone,
    /// so a run resumed from a checkpoint steps as the uninterrupted one.
    /// </summary>
    public void BeforeStep(long step)
    {
        _step = step;
        var phase = Schedule.PhaseAt(step);
        if (phase.Pruned != IsPruned) ChangeWidths(step, phase);
        WarmUpRegrown(Schedule.RegrownWarmup(step));
    }

    private void ChangeWidths(long step, TrainingPhase phase)
    {
        foreach (var mlp in _model.Mlps)
        {
            bool bottom = mlp.Name == DlrmModel.BottomName;
            if (!phase.Pruned && _beforePrune.Remove(mlp.Name, out var snapshot))
            {
                using (snapshot) _surgery.Restore(mlp, snapshot);
                continue;
            }
            var recorder = phase.Pruned && Schedule.Options.Regrowth == Regrowth.Restore ? _surgery.Snapshot(mlp) : null;
            if (recorder is not null) _beforePrune[mlp.Name] = recorder;
            for (int hidden = 0; hidden < mlp.LayerCount - 1; hidden++)
            {
                int full = mlp.FullWidths[hidden + 1];
                int prunedWidth = Schedule.PrunedWidth(bottom, full);
                if (prunedWidth >= full) continue;
                if (phase.Pruned)
                {
                    using var scope = NewDisposeScope();
                    var keep = NeuronImportance.MostImportant(_statistics.Importance(Schedule.Options.Importance, mlp, hidden), prunedWidth);
                    recorder?.RecordKept(hidden, keep);
                    var foldedMean = Schedule.Options.Importance == ImportanceCriterion.ActivationVariance ? _statistics.MeanActivation(mlp, hidden) : null;
                    _surgery.Prune(mlp, hidden, keep, foldedMean);
                }
                else
                {
                    Regenerate(mlp, hidden);
                    using var generator = new Generator(GrowthSeed(step, mlp.Name, hidden));
                    _surgery.Grow(mlp, hidden, full, generator, Schedule.Options.GrowthInitScale, Schedule.Options.RegrownOutgoingScale,
                        Schedule.Options.RegrownOptimizerState);
                }
            }
        }
        _statistics.Reset();
        IsPruned = phase.Pruned;
        PhaseChanged?.Invoke(new PhaseChange(step, phase.Index, phase.Pruned, _model.Bottom.HiddenWidths, _model.Top.HiddenWidths));
    }

    /// <summary>
    /// Gathers the importance statistics of the step announced by the last <see cref="BeforeStep"/>, when a prune
    /// follows within Offline:Amgp:ImportanceSteps. Call after the backward pass, before the optimizer step.
    /// </summary>
    public void ObserveStep(Tensor dense, Tensor embedded)
    {
        if (ObservesSteps && Schedule.PruneWithin(_step, Schedule.Options.ImportanceSteps)) _statistics.Observe(Schedule.Options.Importance, dense, embedded);
    }

    /// <summary>The group-lasso term to add to the loss at this step, or null when none applies.</summary>
    public Tensor? Regularizer(long step)
    {
        double strength = Schedule.Options.GroupLassoStrength;
        if (strength == 0 || !Schedule.PruneFollows(step)) return null;
        using var scale = strength.ToScalar();
        return NeuronImportance.GroupLasso(_model.Bottom).add(NeuronImportance.GroupLasso(_model.Top), HeldScalars.One).mul(scale);
    }

    /// <summary>Removes the least important <see cref="AmgpOptions.RegenerateFraction"/> of a pruned layer's neurons, so the growth after it brings them back fresh.</summary>
    private void Regenerate(Mlp mlp, int hidden)
    {
        int kept = Schedule.KeptThroughGrowth(mlp.Name == DlrmModel.BottomName, mlp.FullWidths[hidden + 1]);
        if (kept >= mlp.HiddenWidths[hidden]) return;
        using var scope = NewDisposeScope();
        _surgery.Prune(mlp, hidden, NeuronImportance.MostImportant(mlp, hidden, kept));
    }

    /// <summary>Clears the regrown neurons' step factors, should the run end during their warm-up.</summary>
    public void EndRun() => WarmUpRegrown(null);

    /// <summary>
    /// Scales the steps of every weight and bias entry that touches a fresh regrown neuron (rows of its layer, columns
    /// of the next) by <paramref name="ramp"/>; clears the factors once the warm-up is over.
    /// </summary>
    private void WarmUpRegrown(double? ramp)
    {
        if (ramp is null)
        {
            if (!_warmingUp) return;
            foreach (var (name, _) in _model.Mlps.SelectMany(mlp => mlp.Parameters())) _optimizer.SetStepFactor(name, null);
            _warmingUp = false;
            return;
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var mlp in _model.Mlps)
        {
            var factors = new Dictionary<string, Tensor>();
            Tensor FactorOf(string name, Tensor parameter) =>
                factors.TryGetValue(name, out var factor) ? factor : factors[name] = ones_like(parameter);
            for (int hidden = 0; hidden < mlp.LayerCount - 1; hidden++)
            {
                int full = mlp.FullWidths[hidden + 1];
                int kept = Schedule.KeptThroughGrowth(mlp.Name == DlrmModel.BottomName, full);
                if (kept >= full) continue;
                FactorOf(Mlp.WeightName(mlp.Name, hidden), mlp.Weight(hidden)).narrow(0, kept, full - kept).fill_(ramp.Value);
                FactorOf(Mlp.BiasName(mlp.Name, hidden), mlp.Bias(hidden)).narrow(0, kept, full - kept).fill_(ramp.Value);
                FactorOf(Mlp.WeightName(mlp.Name, hidden + 1), mlp.Weight(hidden + 1)).narrow(1, kept, full - kept).fill_(ramp.Value);
            }
            foreach (var (name, factor) in factors) _optimizer.SetStepFactor(name, factor);
        }
        _warmingUp = true;
    }

    private ulong GrowthSeed(long step, string mlp, int hidden)
    {
        ulong x = unchecked((ulong)_seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)(mlp == DlrmModel.BottomName ? 1 : 2) << 56 ^ (ulong)hidden << 48);
        x ^= x >> 31;
        return x;
    }

    public void Dispose()
    {
        _statistics.Dispose();
        foreach (var snapshot in _beforePrune.Values) snapshot.Dispose();
    }
}
