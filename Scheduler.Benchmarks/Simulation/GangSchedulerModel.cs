using Quorum.Core.Gangs;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// Quorum's real <see cref="SchedulingCycle"/> (minima in queue order, then extras, starvation
/// reservation). With <c>topologyAware: false</c> it is the same gang admission with every group's
/// topology constraints removed and no default topology, so groups pack on the flat node list:
/// what a gang scheduler without topology would do.
/// </summary>
public sealed class GangSchedulerModel : ISchedulerModel
{
    private readonly bool _topologyAware;
    private readonly TopologySpec _topology;
    private readonly SchedulingCycle _cycle;

    public GangSchedulerModel(TopologySpec topology, TimeProvider time, bool topologyAware)
    {
        _topology = topology;
        _topologyAware = topologyAware;
        var options = new PlacementOptions { DefaultTopology = topologyAware ? topology.Name : null };
        _cycle = new SchedulingCycle(new GangAdmission(SchedulerProfile.Default(options)), time);
    }

    public string Name => _topologyAware ? "quorum" : "gang-no-topology";

    public GangTree TreeFor(Workload workload)
    {
        var spec = _topologyAware ? workload.Spec : workload.SpecWithoutTopology();
        var v = PodGroupValidator.Validate(spec, n => n == _topology.Name ? _topology : null, _topologyAware ? _topology.Name : null);
        return v.Tree ?? throw new InvalidOperationException($"generated group {spec.Key} is invalid: {string.Join("; ", v.Errors)}");
    }

    public IReadOnlyList<Placement> Schedule(ClusterSnapshot snapshot, IReadOnlyList<GroupState> groups)
    {
        var requests = new List<GangRequest>(groups.Count);
        var byKey = new Dictionary<Quorum.Core.Model.ObjectKey, GroupState>(groups.Count);
        foreach (var g in groups)
        {
            requests.Add(new GangRequest(g.Tree, g.Members));
            byKey[g.Tree.Spec.Key] = g;
        }
        var result = _cycle.Run(snapshot, requests);
        var placements = new List<Placement>();
        foreach (var d in result.Decisions)
        {
            if (!d.Admitted) continue;
            var g = byKey[d.Group];
            foreach (var p in d.Placements) placements.Add(new Placement(g, g.IndexOf(p.Pod), p.Node));
        }
        return placements;
    }
}
