using Amortized.Networks;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Classifier two-sample test (Lopez-Paz and Oquab 2017; the C2ST of sbibm, Lueckmann et al. 2021): train a
/// classifier to tell set A from set B and report its held-out accuracy. 0.5 means the sets are indistinguishable
/// to the classifier; 1 means perfectly separable. Shapes: a (countA, dim), b (countB, dim), row-major.
/// </summary>
public static class C2st
{
    /// <summary>
    /// Cross-validated balanced accuracy of an MLP (our own engine: <see cref="Mlp"/>, Adam, binary cross-entropy on
    /// the tape) separating <paramref name="a"/> from <paramref name="b"/>. Inputs are z-scored with the mean and sd of
    /// set A (as sbibm), folds are stratified, and the loss weights the classes equally, so unequal counts still
    /// give 0.5 at chance. Deterministic for a seed.
    /// </summary>
    /// <param name="a">Set A, (countA, dim).</param>
    /// <param name="countA">Rows of A (at least the number of folds).</param>
    /// <param name="b">Set B, (countB, dim).</param>
    /// <param name="countB">Rows of B (at least the number of folds).</param>
    /// <param name="dim">Features per row.</param>
    /// <param name="options">Classifier and training options.</param>
    /// <param name="seed">Seed of the fold split, initialisation and minibatches.</param>
    public static double Accuracy(ReadOnlySpan<float> a, int countA, ReadOnlySpan<float> b, int countB, int dim,
        C2stOptions? options = null, ulong seed = 0)
    {
        options ??= new C2stOptions();
        Validate(a, countA, b, countB, dim, options);
        int total = countA + countB;

        // z-score every feature by set A's statistics (a constant feature is only centred).
        var x = new float[total * dim];
        for (int j = 0; j < dim; j++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < countA; i++) mean += a[i * dim + j];
            mean /= countA;
            for (int i = 0; i < countA; i++) { double e = a[i * dim + j] - mean; sq += e * e; }
            double sd = Math.Sqrt(sq / countA);
            double inv = sd > 0 ? 1 / sd : 1;
            for (int i = 0; i < countA; i++) x[i * dim + j] = (float)((a[i * dim + j] - mean) * inv);
            for (int i = 0; i < countB; i++) x[(countA + i) * dim + j] = (float)((b[i * dim + j] - mean) * inv);
        }

        // Stratified folds: shuffle each class, then deal its rows round-robin to the folds.
        var fold = new int[total];
        var splitRng = new Rng(seed, 0);
        DealFolds(fold.AsSpan(0, countA), options.Folds, splitRng);
        DealFolds(fold.AsSpan(countA), options.Folds, splitRng);

        int correctA = 0, correctB = 0;
        for (int f = 0; f < options.Folds; f++)
        {
            var train = new List<int>(total);
            var test = new List<int>(total / options.Folds + 1);
            for (int i = 0; i < total; i++) (fold[i] == f ? test : train).Add(i);
            Mlp net = Train(x, dim, countA, train, options, new Rng(seed, (ulong)f + 1));
            float[] logits = Predict(net, x, dim, test);
            for (int t = 0; t < test.Count; t++)
            {
                bool isB = test[t] >= countA;
                if (isB && logits[t] > 0) correctB++;
                else if (!isB && logits[t] <= 0) correctA++;
            }
        }
        return 0.5 * ((double)correctA / countA + (double)correctB / countB);
    }

    private static void DealFolds(Span<int> fold, int folds, Rng rng)
    {
        var order = new int[fold.Length];
        rng.Permutation(order);
        for (int i = 0; i < order.Length; i++) fold[order[i]] = i % folds;
    }

    /// <summary>
    /// Trains a fresh classifier on the rows <paramref name="train"/>; label 1 for rows at or after countA (set B).
    /// </summary>
    private static Mlp Train(float[] x, int dim, int countA, List<int> train, C2stOptions options, Rng rng)
    {
        var store = new ParameterStore();
        var net = new Mlp(store, "c2st", dim,
            new MlpOptions { Widths = options.HiddenWidths, Activation = options.Activation, OutputDim = 1 }, rng);
        var adam = new Adam(store, new AdamOptions
        {
            LearningRate = LearningRateSchedule.WarmupCosine(options.LearningRate, Math.Max(1, options.Steps / 10),
                options.Steps, options.LearningRate / 20),
        });
        int trainB = 0;
        foreach (int i in train) if (i >= countA) trainB++;
        int trainA = train.Count - trainB;
        // Class weights n / (2 n_class): each class contributes half of the expected loss whatever the counts.
        float weightA = train.Count / (2f * trainA), weightB = train.Count / (2f * trainB);

        int batch = Math.Min(options.BatchSize, train.Count);
        var inputs = new float[batch * dim];
        var labels = new float[batch];
        var weights = new float[batch];
        Tensor xb = Tensor.Wrap(inputs, 0, new Shape(batch, dim));
        Tensor yb = Tensor.Wrap(labels, 0, new Shape(batch, 1));
        Tensor wb = Tensor.Wrap(weights, 0, new Shape(batch, 1));
        var workspace = new Workspace();
        var tape = new Tape();
        for (int step = 0; step < options.Steps; step++)
        {
            for (int r = 0; r < batch; r++)
            {
                int row = train[rng.Integer(0, train.Count)];
                x.AsSpan(row * dim, dim).CopyTo(inputs.AsSpan(r * dim, dim));
                bool isB = row >= countA;
                labels[r] = isB ? 1f : 0f;
                weights[r] = isB ? weightB : weightA;
            }
            workspace.Reset();
            store.ZeroGrad();
            using (workspace.Activate())
            using (tape.Record())
            {
                // Binary cross-entropy with logits l: softplus(l) - y l = -[y log sigmoid(l) + (1 - y)
                // log(1 - sigmoid(l))].
                Tensor logits = net.Forward(xb);
                Tensor loss = ((logits.Softplus() - yb * logits) * wb).Mean();
                tape.Backward(loss);
            }
            adam.Update();
        }
        return net;
    }

    private static float[] Predict(Mlp net, float[] x, int dim, List<int> rows)
    {
        var inputs = new float[rows.Count * dim];
        for (int t = 0; t < rows.Count; t++) x.AsSpan(rows[t] * dim, dim).CopyTo(inputs.AsSpan(t * dim, dim));
        using (Tape.NoGrad())
            return net.Forward(Tensor.Wrap(inputs, 0, new Shape(rows.Count, dim))).ToArray();
    }

    private static void Validate(ReadOnlySpan<float> a, int countA, ReadOnlySpan<float> b,
        int countB, int dim, C2stOptions options)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "C2st: expected dim >= 1.");
        if (options.Folds < 2)
            throw new ArgumentException($"C2st: Folds is {options.Folds}; expected at least 2.", nameof(options));
        if (options.Steps < 1 || options.BatchSize < 1)
            throw new ArgumentException($"C2st: Steps {options.Steps} and BatchSize {options.BatchSize} must be " +
                "positive.", nameof(options));
        if (countA < options.Folds) throw new ArgumentOutOfRangeException(nameof(countA), countA,
            $"C2st: set A needs at least {options.Folds} rows (one per fold).");
        if (countB < options.Folds) throw new ArgumentOutOfRangeException(nameof(countB), countB,
            $"C2st: set B needs at least {options.Folds} rows (one per fold).");
        if (a.Length != (long)countA * dim)
            throw new ArgumentException($"C2st: a has {a.Length} values; expected (countA, dim) = ({countA}, {dim}) " +
                $"= {(long)countA * dim}.", nameof(a));
        if (b.Length != (long)countB * dim)
            throw new ArgumentException($"C2st: b has {b.Length} values; expected (countB, dim) = ({countB}, {dim}) " +
                $"= {(long)countB * dim}.", nameof(b));
    }
}
