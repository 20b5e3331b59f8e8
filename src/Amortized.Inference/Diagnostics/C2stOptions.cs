using Amortized.Kernels.Cpu;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Options of <see cref="C2st"/>: a small MLP classifier, sized so a test with a few thousand points takes seconds.
/// </summary>
public sealed record C2stOptions
{
    /// <summary>Hidden layer widths.</summary>
    public IReadOnlyList<int> HiddenWidths { get; init; } = [64, 64];

    /// <summary>Hidden activation.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Cross-validation folds (each point is classified once, by the model that did not see it).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Adam steps per fold.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Minibatch size (drawn with replacement from the training folds).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate of the warmup-cosine schedule.</summary>
    public float LearningRate { get; init; } = 3e-3f;
}
