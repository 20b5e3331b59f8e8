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
    /// Cross-validated accuracy of an MLP (our own engine: <see cref="Mlp"/>, Adam, binary cross-entropy on
    /// the tape) separating <paramref name="a"/> from <paramref name="b"/>. Inputs are z-scored with the mean and sd of
    /// set A (as sbibm) and folds are stratified. By default the loss weights the classes equally and the score is
    /// the balanced accuracy, so unequal counts still give 0.5 at chance; with
    /// <see cref="C2stOptions.BalanceClasses"/> false (as <see cref="C2stOptions.Sbibm"/>) it is the plain accuracy
    /// averaged over folds. Deterministic for a seed.
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

        // Folds are independent (own network, optimiser, tape, workspace and seeded stream; Tape and Workspace are
        // per thread), so they may train on parallel threads; per-fold counts are reduced in fold order afterwards,
        // so the score does not depend on the thread count.
        var correct = new (int A, int B, int Tested)[options.Folds];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, options.Folds, parallel, f =>
        {
            var train = new List<int>(total);
            var test = new List<int>(total / options.Folds + 1);
            for (int i = 0; i < total; i++) (fold[i] == f ? test : train).Add(i);
            var rng = new Rng(seed, (ulong)f + 1);
            Mlp net = options.MaxEpochs is { } epochs
                ? TrainEpochs(x, dim, countA, train, options, epochs, rng)
                : Train(x, dim, countA, train, options, rng);
            float[] logits = Predict(net, x, dim, test);
            int foldA = 0, foldB = 0;
            for (int t = 0; t < test.Count; t++)
            {
                bool isB = test[t] >= countA;
                if (isB && logits[t] > 0) foldB++;
                else if (!isB && logits[t] <= 0) foldA++;
            }
            correct[f] = (foldA, foldB, test.Count);
        });
        int correctA = 0, correctB = 0;
        double foldAccuracySum = 0;
        foreach (var (foldA, foldB, tested) in correct)
        {
            correctA += foldA;
            correctB += foldB;
            foldAccuracySum += (double)(foldA + foldB) / tested;
        }
        return options.BalanceClasses
            ? 0.5 * ((double)correctA / countA + (double)correctB / countB)
            : foldAccuracySum / options.Folds;
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
        Mlp net = Build(store, dim, options, rng);
        var adam = new Adam(store, new AdamOptions
        {
            LearningRate = LearningRateSchedule.WarmupCosine(options.LearningRate, Math.Max(1, options.Steps / 10),
                options.Steps, options.LearningRate / 20),
        });
        int trainB = 0;
        foreach (int i in train) if (i >= countA) trainB++;
        int trainA = train.Count - trainB;
        // Class weights n / (2 n_class): each class contributes half of the expected loss whatever the counts.
        var (weightA, weightB) = ClassWeights(train.Count, trainA, trainB, options);

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
            if (options.L2 > 0) AddL2(store, options.L2, batch);
            adam.Update();
        }
        return net;
    }

    private static Mlp Build(ParameterStore store, int dim, C2stOptions options, Rng rng) =>
        new(store, "c2st", dim, new MlpOptions
        {
            Widths = options.HiddenWidths, Activation = options.Activation,
            KernelInitializer = options.KernelInitializer, OutputDim = 1,
        }, rng);

    private static (float WeightA, float WeightB) ClassWeights(int count, int countA, int countB,
        C2stOptions options) =>
        options.BalanceClasses ? (count / (2f * countA), count / (2f * countB)) : (1f, 1f);

    /// <summary>
    /// Adds sklearn's L2 penalty 0.5 l2 sum(W^2) / m over the kernels (rank-2 parameters; biases are exempt) to
    /// the gradients, l2 W / m, and returns the penalty itself, which sklearn counts in the loss it monitors.
    /// </summary>
    private static double AddL2(ParameterStore store, float l2, int rows)
    {
        double sumSquares = 0;
        float scale = l2 / rows;
        foreach (Tensor p in store.Parameters)
        {
            if (p.Rank != 2) continue;
            Span<float> w = p.Span, g = p.Grad!.Span;
            for (int i = 0; i < w.Length; i++)
            {
                sumSquares += (double)w[i] * w[i];
                g[i] += scale * w[i];
            }
        }
        return 0.5 * l2 * sumSquares / rows;
    }

    /// <summary>
    /// Epoch-based training as sklearn's MLPClassifier (solver "adam", constant learning rate): each epoch visits
    /// a fresh shuffle of <paramref name="train"/> in consecutive minibatches, and training stops after
    /// <paramref name="maxEpochs"/> epochs or once the epoch's mean loss (L2 penalty included) has failed to beat
    /// the best so far by <see cref="C2stOptions.Tolerance"/> for more than
    /// <see cref="C2stOptions.NoImprovementEpochs"/> epochs in a row.
    /// </summary>
    private static Mlp TrainEpochs(float[] x, int dim, int countA, List<int> train, C2stOptions options,
        int maxEpochs, Rng rng)
    {
        var store = new ParameterStore();
        Mlp net = Build(store, dim, options, rng);
        var adam = new Adam(store,
            new AdamOptions { LearningRate = LearningRateSchedule.Constant(options.LearningRate) });
        int n = train.Count, trainB = 0;
        foreach (int i in train) if (i >= countA) trainB++;
        var (weightA, weightB) = ClassWeights(n, n - trainB, trainB, options);
        bool weighted = options.BalanceClasses;

        int batch = Math.Min(options.BatchSize, n), last = n % batch;
        var inputs = new float[batch * dim];
        var labels = new float[batch];
        var weights = new float[batch];
        // Tensors for the full minibatches and for the shorter last one share the buffers, so an epoch allocates
        // nothing outside the workspace.
        (Tensor X, Tensor Y, Tensor W) full = (Tensor.Wrap(inputs, 0, new Shape(batch, dim)),
            Tensor.Wrap(labels, 0, new Shape(batch, 1)), Tensor.Wrap(weights, 0, new Shape(batch, 1)));
        (Tensor X, Tensor Y, Tensor W) tail = last == 0 ? full : (Tensor.Wrap(inputs, 0, new Shape(last, dim)),
            Tensor.Wrap(labels, 0, new Shape(last, 1)), Tensor.Wrap(weights, 0, new Shape(last, 1)));
        int[] order = train.ToArray();
        var workspace = new Workspace();
        var tape = new Tape();
        double best = double.PositiveInfinity;
        int stale = 0;
        for (int epoch = 0; epoch < maxEpochs; epoch++)
        {
            Shuffle(order, rng);
            double lossSum = 0;
            for (int start = 0; start < n; start += batch)
            {
                int m = Math.Min(batch, n - start);
                for (int r = 0; r < m; r++)
                {
                    int row = order[start + r];
                    x.AsSpan(row * dim, dim).CopyTo(inputs.AsSpan(r * dim, dim));
                    bool isB = row >= countA;
                    labels[r] = isB ? 1f : 0f;
                    weights[r] = isB ? weightB : weightA;
                }
                var (xb, yb, wb) = m == batch ? full : tail;
                workspace.Reset();
                store.ZeroGrad();
                double batchLoss;
                using (workspace.Activate())
                using (tape.Record())
                {
                    // Binary cross-entropy with logits, as in Train.
                    Tensor logits = net.Forward(xb);
                    Tensor bce = logits.Softplus() - yb * logits;
                    Tensor loss = (weighted ? bce * wb : bce).Mean();
                    tape.Backward(loss);
                    batchLoss = loss.Item();
                }
                if (options.L2 > 0) batchLoss += AddL2(store, options.L2, m);
                adam.Update();
                lossSum += batchLoss * m;
            }
            // sklearn's _update_no_improvement_count (without early_stopping) and its strict "> n_iter_no_change".
            double epochLoss = lossSum / n;
            stale = epochLoss > best - options.Tolerance ? stale + 1 : 0;
            if (epochLoss < best) best = epochLoss;
            if (stale > options.NoImprovementEpochs) break;
        }
        return net;
    }

    /// <summary>In-place Fisher-Yates shuffle (sklearn reshuffles the sample order every epoch).</summary>
    private static void Shuffle(int[] order, Rng rng)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Integer(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
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
        if (options.MaxEpochs is { } epochs && (epochs < 1 || options.NoImprovementEpochs < 0
                || !(options.Tolerance >= 0)))
            throw new ArgumentException($"C2st: MaxEpochs {epochs} must be positive, NoImprovementEpochs " +
                $"{options.NoImprovementEpochs} and Tolerance {options.Tolerance} non-negative.", nameof(options));
        if (options.MaxDegreeOfParallelism == 0 || options.MaxDegreeOfParallelism < -1)
            throw new ArgumentException($"C2st: MaxDegreeOfParallelism is {options.MaxDegreeOfParallelism}; expected " +
                "-1 (all cores) or a positive count.", nameof(options));
        if (!(options.L2 >= 0 && float.IsFinite(options.L2)))
            throw new ArgumentException($"C2st: L2 is {options.L2}; expected a finite value >= 0.", nameof(options));
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
