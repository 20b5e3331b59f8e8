using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Matrix product C = op(A) op(B), optionally batched. Shapes: op(A) is (..., M, K), op(B) is (..., K, N) or
/// (K, N) shared by every batch, C is (..., M, N); batch dimensions of A and B must be equal.
/// Derivatives: dop(A) = dC op(B)^T, dop(B) = op(A)^T dC (summed over the batch when B is shared); a
/// transposed operand's gradient is the transpose of that, which the GEMM flags produce without copies.
/// </summary>
internal sealed class MatMulOp : Op
{
    public static readonly MatMulOp Instance = new();

    public override string Name => "MatMul";

    public static Tensor Forward(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul: a is {a.Shape} and b is {b.Shape}; both need rank >= 2.");
        int m = transA ? a.Shape[-1] : a.Shape[-2];
        int ka = transA ? a.Shape[-2] : a.Shape[-1];
        int kb = transB ? b.Shape[-1] : b.Shape[-2];
        int n = transB ? b.Shape[-2] : b.Shape[-1];
        if (ka != kb)
            throw new ArgumentException($"MatMul: a is {a.Shape}{(transA ? "^T" : "")} and b is " +
                $"{b.Shape}{(transB ? "^T" : "")}; inner dimensions {ka} and {kb} differ.");
        bool sharedB = b.Rank == 2 && a.Rank > 2;
        if (!sharedB)
        {
            if (a.Rank != b.Rank)
                throw new ArgumentException($"MatMul: a is {a.Shape} and b is {b.Shape}; batch ranks differ.");
            for (int i = 0; i < a.Rank - 2; i++)
                if (a.Shape[i] != b.Shape[i])
                    throw new ArgumentException($"MatMul: a is {a.Shape} and b is {b.Shape}; batch dimension {i} " +
                        $"differs ({a.Shape[i]} vs {b.Shape[i]}).");
        }
        int batch = a.Shape.Outer(a.Rank - 2);
        Tensor.CheckSameDevice("MatMul", a, b);
        var c = Tensor.EmptyLike(a, a.Shape.With(-2, m).With(-1, n));
        if (sharedB && !transA)
        {
            // (batch*M, K) x (K, N) is one GEMM: better blocking than many small ones.
            a.Backend.Gemm(Transpose.No, Flag(transB), batch * m, n, ka, 1f, a, 0, ka, b, 0, b.Shape[-1], 0f, c, 0, n);
        }
        else
        {
            for (int p = 0; p < batch; p++)
            {
                a.Backend.Gemm(Flag(transA), Flag(transB), m, n, ka, 1f,
                    a, p * m * ka, a.Shape[-1], b, sharedB ? 0 : p * ka * n, b.Shape[-1], 0f, c, p * m * n, n);
            }
        }
        if (Tape.ShouldRecord(a, b))
        {
            var e = Tape.Push(Instance, c, a, b);
            e.I0 = transA ? 1 : 0;
            e.I1 = transB ? 1 : 0;
        }
        return c;
    }

    private static Transpose Flag(bool t) => t ? Transpose.Yes : Transpose.No;

    public override void Backward(TapeEntry e)
    {
        Tensor a = e.A!, b = e.B!, dc = e.Output.Grad!;
        bool transA = e.I0 != 0, transB = e.I1 != 0;
        bool sharedB = b.Rank == 2 && a.Rank > 2;
        int m = dc.Shape[-2], n = dc.Shape[-1];
        int k = transA ? a.Shape[-2] : a.Shape[-1];
        int batch = a.Shape.Outer(a.Rank - 2);
        int lda = a.Shape[-1], ldb = b.Shape[-1];
        var backend = a.Backend;
        // A gradient created here (fresh) is not zero-filled: the first GEMM into each of its slices uses beta = 0.
        // da's batch slices are disjoint and cover it; a shared db is accumulated over the batch after p = 0.
        // db is fetched after da so that a == b sees da's gradient as existing (accumulate).
        Tensor? da = Tape.GradOf(a, out bool daFresh), db = Tape.GradOf(b, out bool dbFresh);
        if (batch == 0)
        {
            if (daFresh) da!.Backend.Fill(da!, 0f);
            if (dbFresh) db!.Backend.Fill(db!, 0f);
            return;
        }
        for (int p = 0; p < batch; p++)
        {
            int aOff = p * m * k, bOff = sharedB ? 0 : p * k * n, cOff = p * m * n;
            if (da is not null)
            {
                float beta = daFresh ? 0f : 1f;
                if (!transA) // dA (M,K) += dC (M,N) op(B)^T (N,K)
                    backend.Gemm(Transpose.No, transB ? Transpose.No : Transpose.Yes, m, k, n, 1f, dc, cOff, n, b,
                        bOff, ldb, beta, da, aOff, lda);
                else         // dA stored (K,M) += op(B) (K,N) dC^T (N,M)
                    backend.Gemm(Flag(transB), Transpose.Yes, k, m, n, 1f, b, bOff, ldb, dc,
                        cOff, n, beta, da, aOff, lda);
            }
            if (db is not null)
            {
                float beta = dbFresh && (p == 0 || !sharedB) ? 0f : 1f;
                if (!transB) // dB (K,N) += op(A)^T (K,M) dC (M,N)
                    backend.Gemm(transA ? Transpose.No : Transpose.Yes, Transpose.No, k, n, m, 1f, a, aOff, lda, dc,
                        cOff, n, beta, db, bOff, ldb);
                else         // dB stored (N,K) += dC^T (N,M) op(A) (M,K)
                    backend.Gemm(Transpose.Yes, Flag(transA), n, k, m, 1f, dc, cOff, n, a,
                        aOff, lda, beta, db, bOff, ldb);
            }
        }
    }
}

/// <summary>
/// Fused dense layer y = f(x W + b). Shapes: x (..., I), W (I, O), b (O) or absent, y (..., O).
/// Backward with z = x W + b the pre-activation (saved by the forward GEMM's epilogue):
/// dz = dy * f'(z); dW += x^T dz; db += sum over rows of dz; dx += dz W^T.
/// </summary>
internal sealed class LinearOp : Op
{
    public static readonly LinearOp Instance = new();

    public override string Name => "Linear";

    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, Activation activation)
    {
        if (weight.Rank != 2 || x.Rank < 1 || x.Shape[-1] != weight.Shape[0])
            throw new ArgumentException($"Linear: x is {x.Shape} and weight is {weight.Shape}; expected x (..., I) " +
                "and weight (I, O) with matching I.");
        int inFeatures = weight.Shape[0], outFeatures = weight.Shape[1];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw new ArgumentException(
                $"Linear: bias is {bias.Shape}; expected ({outFeatures},) for weight {weight.Shape}.");
        int rows = inFeatures == 0 ? 0 : x.Size / inFeatures;
        Tensor.CheckSameDevice("Linear", x, weight);
        if (bias is not null) Tensor.CheckSameDevice("Linear", x, bias);
        var y = Tensor.EmptyLike(x, x.Shape.With(-1, outFeatures));
        bool record = Tape.ShouldRecord(x, weight, bias);
        Tensor? pre = record && activation != Activation.Identity ? Tensor.EmptyLike(y, y.Shape) : null;
        x.Backend.Gemm(Transpose.No, Transpose.No, rows, outFeatures, inFeatures, 1f, x, 0,
            inFeatures, weight, 0, outFeatures,
            0f, y, 0, outFeatures, bias, activation, pre);
        if (record)
        {
            var e = Tape.Push(Instance, y, x, weight, bias);
            e.Activation = activation;
            e.Saved0 = pre;
        }
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        Tensor x = e.A!, w = e.B!, dy = e.Output.Grad!;
        int inFeatures = w.Shape[0], outFeatures = w.Shape[1];
        int rows = inFeatures == 0 ? 0 : x.Size / inFeatures;
        var backend = x.Backend;
        Tensor dz = dy;
        if (e.Activation != Activation.Identity)
        {
            dz = Tensor.EmptyLike(dy, dy.Shape);
            backend.ActivateBackward(e.Activation, e.Saved0!, dy, dz, accumulate: false);
        }
        // A gradient created here is written whole by its GEMM with beta = 0 (no zero fill); each is fetched
        // right before its write, so aliased inputs accumulate into the first write.
        var dw = Tape.GradOf(w, out bool dwFresh);
        if (dw is not null)
            backend.Gemm(Transpose.Yes, Transpose.No, inFeatures, outFeatures, rows, 1f, x, 0, inFeatures, dz, 0,
                outFeatures, dwFresh ? 0f : 1f, dw, 0, outFeatures);
        var db = Tape.GradOf(e.C);
        if (db is not null) backend.SumToShape(dz, db, 1f);
        var dx = Tape.GradOf(x, out bool dxFresh);
        if (dx is not null)
            backend.Gemm(Transpose.No, Transpose.Yes, rows, inFeatures, outFeatures, 1f, dz, 0, outFeatures, w, 0,
                outFeatures, dxFresh ? 0f : 1f, dx, 0, inFeatures);
    }
}
