using Amortized.Kernels.Cpu;
using Amortized.Networks;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Options of <see cref="C2st"/>: a small MLP classifier, sized so a test with a few thousand points takes seconds.
/// <see cref="Sbibm"/> gives the classifier and training of sbibm's C2ST instead, for figures comparable to the
/// published benchmark.
/// </summary>
public sealed record C2stOptions
{
    /// <summary>Hidden layer widths.</summary>
    public IReadOnlyList<int> HiddenWidths { get; init; } = [64, 64];

    /// <summary>Hidden activation.</summary>
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Initialiser of the hidden kernels (biases start at zero).</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.HeNormal;

    /// <summary>Cross-validation folds (each point is classified once, by the model that did not see it).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Adam steps per fold (step-based training only, when <see cref="MaxEpochs"/> is null).</summary>
    public int Steps { get; init; } = 300;

    /// <summary>
    /// Minibatch size, clipped to the training rows. Step-based training draws it with replacement; epoch-based
    /// training walks a fresh shuffle of the training rows in slices of this size (the last one may be smaller).
    /// </summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>
    /// Learning rate: the peak of a warmup-cosine schedule in step-based training, constant in epoch-based training.
    /// </summary>
    public float LearningRate { get; init; } = 3e-3f;

    /// <summary>
    /// Null (default): step-based training, <see cref="Steps"/> Adam steps on minibatches drawn with replacement.
    /// Set: epoch-based training as sklearn's MLPClassifier: each epoch shuffles the training rows and visits each
    /// once, for at most this many epochs, stopping early per <see cref="Tolerance"/> and
    /// <see cref="NoImprovementEpochs"/>.
    /// </summary>
    public int? MaxEpochs { get; init; }

    /// <summary>
    /// Epoch-based training: an epoch improves when its mean training loss is below the best so far minus this.
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>
    /// Epoch-based training stops once more than this many consecutive epochs did not improve (sklearn's
    /// n_iter_no_change, with its strict comparison: the default 10 stops after the 11th such epoch).
    /// </summary>
    public int NoImprovementEpochs { get; init; } = 10;

    /// <summary>
    /// L2 penalty on the kernels (not the biases), sklearn's alpha: each minibatch of m rows adds
    /// 0.5 * L2 * sum(W^2) / m to its loss. 0 (default) adds nothing.
    /// </summary>
    public float L2 { get; init; }

    /// <summary>
    /// True (default): the loss weights the classes equally and the score is the balanced accuracy pooled over
    /// folds, so unequal counts still give 0.5 at chance. False: unweighted loss, and the score is the plain
    /// accuracy averaged over the folds (sbibm's definition; meant for equal counts).
    /// </summary>
    public bool BalanceClasses { get; init; } = true;

    /// <summary>
    /// Folds trained at once on parallel threads (-1: all cores); 1 (default) trains them one after another. The
    /// score does not depend on it.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = 1;

    /// <summary>
    /// sbibm's C2ST classifier (Lueckmann et al. 2021): sklearn MLPClassifier(activation="relu",
    /// hidden_layer_sizes=(10 dim, 10 dim), max_iter=1000, solver="adam") with sklearn's defaults (learning rate
    /// 1e-3, batch min(200, n), alpha 1e-4, tol 1e-4, n_iter_no_change 10, shuffled epochs, Glorot uniform
    /// kernels), 5 stratified folds, z-scoring by set A, score = mean accuracy over folds without class weights.
    /// The folds train on all cores (<see cref="MaxDegreeOfParallelism"/> -1); set 1 when running many tests at once.
    /// </summary>
    /// <param name="dim">Features per row; the hidden layers are 10 dim wide.</param>
    public static C2stOptions Sbibm(int dim)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "C2stOptions.Sbibm: expected dim >= 1.");
        return new C2stOptions
        {
            HiddenWidths = [10 * dim, 10 * dim],
            Activation = Activation.Relu,
            KernelInitializer = Initializer.GlorotUniform,
            Folds = 5,
            BatchSize = 200,
            LearningRate = 1e-3f,
            MaxEpochs = 1000,
            Tolerance = 1e-4,
            NoImprovementEpochs = 10,
            L2 = 1e-4f,
            BalanceClasses = false,
            MaxDegreeOfParallelism = -1,
        };
    }
}
