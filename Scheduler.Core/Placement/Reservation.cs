using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Placement;

/// <summary>
/// A domain held for a starving gang: lower-ranked groups may not place pods on its nodes until the
/// gang is admitted, so capacity freed there accumulates for it instead of being taken by small work.
/// </summary>
public sealed record Reservation(ObjectKey Group, TopologyTree Tree, int Domain, bool[] BlockedSlots)
{
    public string DomainPath => Tree.PathOf(Domain);
    public string Level => Tree.LevelName(Tree.DepthOf(Domain));
}
