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
        var y = Tensor.Empty(shape);
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
        Tensor? da = Tape.GradOf(a), db = Tape.GradOf(b);
        switch ((BinaryKind)e.I0)
        {
            case BinaryKind.Add:
                if (da is not null) backend.SumToShape(dy, da, 1f);
                if (db is not null) backend.SumToShape(dy, db, 1f);
                break;
            case BinaryKind.Sub:
                if (da is not null) backend.SumToShape(dy, da, 1f);
                if (db is not null) backend.SumToShape(dy, db, -1f);
                break;
            case BinaryKind.Mul:
                if (da is not null) AccumulateProduct(dy, b, da);
                if (db is not null) AccumulateProduct(dy, a, db);
                break;
            case BinaryKind.Div:
                if (da is not null)
                {
                    var t = Tensor.Empty(y.Shape);                      // dy / b
                    backend.Binary(BinaryKind.Div, dy, b, t);
                    backend.SumToShape(t, da, 1f);
                }
                if (db is not null)
                {
                    var t = Tensor.Empty(y.Shape);                      // -(dy * y) / b
                    backend.Binary(BinaryKind.Mul, dy, y, t);
                    backend.Binary(BinaryKind.Div, t, b, t);
                    backend.SumToShape(t, db, -1f);
                }
                break;
            case BinaryKind.Pow:
                if (da is not null)
                {
                    var t = Tensor.Empty(y.Shape);                      // dy * b * a^(b - 1) = dy * b * y / a
                    var bm1 = Tensor.Empty(b.Shape);
                    backend.Unary(UnaryKind.AddScalar, b, bm1, -1f, 0f);
                    backend.Binary(BinaryKind.Pow, a, bm1, t);
                    backend.Binary(BinaryKind.Mul, t, b, t);
                    backend.Binary(BinaryKind.Mul, t, dy, t);
                    backend.SumToShape(t, da, 1f);
                }
                if (db is not null)
                {
                    var loga = Tensor.Empty(a.Shape);                   // dy * y * log(a)
                    backend.Unary(UnaryKind.Log, a, loga, 0f, 0f);
                    var t = Tensor.Empty(y.Shape);
                    backend.Binary(BinaryKind.Mul, dy, y, t);
                    backend.Binary(BinaryKind.Mul, t, loga, t);
                    backend.SumToShape(t, db, 1f);
                }
                break;
        }
    }

    /// <summary>grad += sum_to_shape(dy * other).</summary>
    private static void AccumulateProduct(Tensor dy, Tensor other, Tensor grad)
    {
        var t = Tensor.Empty(dy.Shape);
        dy.Backend.Binary(BinaryKind.Mul, dy, other, t);
        dy.Backend.SumToShape(t, grad, 1f);
    }
}
