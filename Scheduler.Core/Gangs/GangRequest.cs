using Quorum.Core.Model;

namespace Quorum.Core.Gangs;

/// <summary>A validated group and its member pods (bound and pending) as of this cycle.</summary>
public sealed record GangRequest(GangTree Tree, IReadOnlyList<Pod> Members)
{
    public ObjectKey Key => Tree.Spec.Key;
    public int Priority => Tree.Spec.Priority;
    public DateTimeOffset CreationTimestamp => Tree.Spec.CreationTimestamp;
}
