using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Placement;

/// <summary>
/// Nodes held for a starving gang inside one domain: gangs ranked below it may not place pods on them
/// until it is admitted, so capacity freed there accumulates for it instead of being taken by small
/// work. Only nodes the gang could use are held (see <see cref="Plugins.StarvationReservation"/>).
/// </summary>
public sealed record Reservation(ObjectKey Group, int Priority, TopologyTree Tree, int Domain, bool[] BlockedSlots)
{
    public string DomainPath => Tree.PathOf(Domain);
    public string Level => Tree.LevelName(Tree.DepthOf(Domain));

    public bool Blocks(int slot) => slot < BlockedSlots.Length && BlockedSlots[slot];
}
