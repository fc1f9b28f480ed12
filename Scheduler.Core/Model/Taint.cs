namespace Quorum.Core.Model;

public enum TaintEffect
{
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// <summary>A node taint, as in core/v1.</summary>
public sealed record Taint(string Key, string? Value, TaintEffect Effect)
{
    /// <summary>kube-scheduler's rendering in "untolerated taint {key: value}".</summary>
    public override string ToString() => $"{{{Key}: {Value}}}";
}
