using static TorchSharp.torch;

namespace Recurring.Core.Training;

/// <summary>
/// Changes the model's structure between optimizer steps, as alternate growth and pruning does, and may add a
/// penalty to a step's loss. The offline trainer calls it around every step; it knows nothing of how.
/// </summary>
public interface IStructureSchedule
{
    /// <summary>Brings the model to the shape <paramref name="step"/> trains at.</summary>
    void BeforeStep(long step);

    /// <summary>Factor on the MLP learning rate for the step announced by the last <see cref="BeforeStep"/>.</summary>
    double LearningRateScale => 1;

    /// <summary>A differentiable term to add to the loss of <paramref name="step"/>, or null.</summary>
    Tensor? Regularizer(long step);

    /// <summary>
    /// Called once the run's steps are over, finished or stopped: removes whatever <see cref="BeforeStep"/> set on the
    /// optimizer for the steps alone, so training that continues from the model (the recurring stage) steps plainly.
    /// </summary>
    void EndRun()
    {
    }

    /// <summary>Whether the trainer should hand every step's tensors to <see cref="ObserveStep"/>.</summary>
    bool ObservesSteps => false;

    /// <summary>
    /// Sees the step announced by the last <see cref="BeforeStep"/> after its backward pass and before its optimizer
    /// step: the batch's dense inputs and embedding rows, with the gradients on the parameters (importance statistics).
    /// </summary>
    void ObserveStep(Tensor dense, Tensor embedded)
    {
    }
}
