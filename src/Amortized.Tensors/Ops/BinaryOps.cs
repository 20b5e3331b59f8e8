using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Elementwise binary ops with NumPy broadcasting: a (shape Sa), b (shape Sb), y (broadcast(Sa, Sb)).
/// Derivatives, each summed back over the axes along which its input was broadcast:
/// add: da = dy, db = dy; sub: da = dy, db = -dy; mul: da = dy b, db = dy a;
/// div: da = dy / b, db = -dy a / b^2 = -dy y / b; pow: da = dy b a^(b-1), db = dy y log(a).
/// </summary>
internal sealed class BinaryOp : Op
{
    public static readonly BinaryOp Instance = new();

    public override string Name => "Binary";

    public static Tensor Forward(BinaryKind kind, Tensor a, Tensor b)
    {
        var shape = Shape.Broadcast(a.Shape, b.Shape, OpName(kind));
        Tensor.CheckSameDevice(OpName(kind), a, b);
        var y = Tensor.EmptyLike(a, shape);
        a.Backend.Binary(kind, a, b, y);
        if (Tape.ShouldRecord(a, b)) Tape.Push(Instance, y, a, b).I0 = (int)kind;
        return y;
    }

    // Literal names: Enum.ToString would allocate a string on every op.
    private static string OpName(BinaryKind kind) => kind switch
    {
        BinaryKind.Add => "Add",
        BinaryKind.Sub => "Sub",
        BinaryKind.Mul => "Mul",
        BinaryKind.Div => "Div",
        _ => "Pow",
    };

    public override void Backward(TapeEntry e)
    {
        Tensor a = e.A!, b = e.B!, y = e.Output, dy = y.Grad!;
        var backend = a.Backend;
        switch ((BinaryKind)e.I0)
        {
            // Add, Sub, Mul: a gradient created here with dy's shape is written directly (no zero fill); each
            // gradient is fetched right before its write, so a == b accumulates into the first write.
            case BinaryKind.Add:
            case BinaryKind.Sub:
            {
                var da = Tape.GradOf(a, out bool daFresh);
                if (da is not null)
                {
                    if (daFresh && da.Shape == dy.Shape) dy.Backend.Copy(dy, da);
                    else Accumulate(backend, dy, da, daFresh, 1f);
                }
                var db = Tape.GradOf(b, out bool dbFresh);
                float sign = (BinaryKind)e.I0 == BinaryKind.Add ? 1f : -1f;
                if (db is not null)
                {
                    if (dbFresh && db.Shape == dy.Shape) backend.Unary(UnaryKind.MulScalar, dy, db, sign, 0f);
                    else Accumulate(backend, dy, db, dbFresh, sign);
                }
                return;
            }
            case BinaryKind.Mul:
            {
                var da = Tape.GradOf(a, out bool daFresh);
                if (da is not null) AccumulateProduct(dy, b, da, daFresh);
                var db = Tape.GradOf(b, out bool dbFresh);
                if (db is not null) AccumulateProduct(dy, a, db, dbFresh);
                return;
            }
        }
        Tensor? da2 = Tape.GradOf(a), db2 = Tape.GradOf(b);
        BackwardDivPow(e, backend, a, b, y, dy, da2, db2);
    }

    private static void BackwardDivPow(TapeEntry e, IBackend backend, Tensor a, Tensor b, Tensor y,
        Tensor dy, Tensor? da, Tensor? db)
    {
        switch ((BinaryKind)e.I0)
        {
            case BinaryKind.Div:
                if (da is not null)
                {
                    var t = Tensor.EmptyLike(y, y.Shape);                      // dy / b
                    backend.Binary(BinaryKind.Div, dy, b, t);
                    backend.SumToShape(t, da, 1f);
                }
                if (db is not null)
                {
                    var t = Tensor.EmptyLike(y, y.Shape);                      // -(dy * y) / b
                    backend.Binary(BinaryKind.Mul, dy, y, t);
                    backend.Binary(BinaryKind.Div, t, b, t);
                    backend.SumToShape(t, db, -1f);
                }
                break;
            case BinaryKind.Pow:
                if (da is not null)
                {
                    var t = Tensor.EmptyLike(y, y.Shape);                      // dy * b * a^(b - 1) = dy * b * y / a
                    var bm1 = Tensor.EmptyLike(b, b.Shape);
                    backend.Unary(UnaryKind.AddScalar, b, bm1, -1f, 0f);
                    backend.Binary(BinaryKind.Pow, a, bm1, t);
                    backend.Binary(BinaryKind.Mul, t, b, t);
                    backend.Binary(BinaryKind.Mul, t, dy, t);
                    backend.SumToShape(t, da, 1f);
                }
                if (db is not null)
                {
                    var loga = Tensor.EmptyLike(a, a.Shape);                   // dy * y * log(a)
                    backend.Unary(UnaryKind.Log, a, loga, 0f, 0f);
                    var t = Tensor.EmptyLike(y, y.Shape);
                    backend.Binary(BinaryKind.Mul, dy, y, t);
                    backend.Binary(BinaryKind.Mul, t, loga, t);
                    backend.SumToShape(t, db, 1f);
                }
                break;
        }
    }

    // SumToShape into a gradient; a fresh (uninitialised) one is zeroed first, since a reduction only adds.
    private static void Accumulate(IBackend backend, Tensor src, Tensor grad, bool fresh, float scale)
    {
        if (fresh) grad!.Backend.Fill(grad!, 0f);
        backend.SumToShape(src, grad, scale);
    }

    /// <summary>grad += sum_to_shape(dy * other); a fresh grad of dy's shape is written directly.</summary>
    private static void AccumulateProduct(Tensor dy, Tensor other, Tensor grad, bool fresh)
    {
        if (fresh && grad.Shape == dy.Shape && other.Shape == dy.Shape)
        {
            dy.Backend.Binary(BinaryKind.Mul, dy, other, grad);
            return;
        }
        if (fresh) grad!.Backend.Fill(grad!, 0f);
        var t = Tensor.EmptyLike(dy, dy.Shape);
        dy.Backend.Binary(BinaryKind.Mul, dy, other, t);
        dy.Backend.SumToShape(t, grad, 1f);
    }
}
