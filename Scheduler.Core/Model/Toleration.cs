namespace Quorum.Core.Model;

public enum TolerationOperator
{
    Equal,
    Exists,
}

/// <summary>A pod toleration, as in core/v1; a null effect tolerates every effect.</summary>
public sealed record Toleration(string? Key, TolerationOperator Operator, string? Value, TaintEffect? Effect)
{
    /// <summary>Same rules as k8s.io/api/core/v1 Toleration.ToleratesTaint.</summary>
    public bool Tolerates(Taint taint)
    {
        if (Effect is { } effect && effect != taint.Effect) return false;
        if (!string.IsNullOrEmpty(Key) && Key != taint.Key) return false;
        return Operator switch
        {
            // An empty key with Exists matches every taint.
            TolerationOperator.Exists => true,
            _ => (Value ?? string.Empty) == (taint.Value ?? string.Empty),
        };
    }
}
