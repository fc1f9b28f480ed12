using Quorum.Api.V1Alpha1;
using Quorum.Core.Topology;
using Quorum.Scheduling;

namespace Quorum.Api;

/// <summary>Capacity: free and total resources per domain of one level, from a current snapshot of the cache.</summary>
internal static class CapacityQuery
{
    /// <summary>Runs on the loop's thread.</summary>
    public static CapacityResponse Answer(LoopView view, SchedulerInsight insight, CapacityRequest request)
    {
        var snapshot = insight.CurrentSnapshot(view);
        var name = request.Topology.Length > 0 ? request.Topology : view.Options.DefaultTopology;
        var tree = snapshot.Tree(name);
        if (tree is null)
        {
            if (request.Topology.Length > 0)
            {
                var known = snapshot.TopologyNames.Where(n => n.Length > 0).Order(StringComparer.Ordinal).ToList();
                throw ApiErrors.Invalid("topology", $"\"{request.Topology}\" is not a Topology this scheduler knows (known: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
            }
            // The default topology does not exist: groups are packed on the flat node list, so report that.
            tree = snapshot.FlatTree;
        }
        var depth = Depth(tree, request.Level);
        var response = new CapacityResponse { Topology = tree.Spec.Name, Level = tree.LevelName(depth) };
        response.Domains.AddRange(Core.Topology.DomainCapacity.At(snapshot, tree, depth).Select(ToMessage));
        response.Cluster = ToMessage(Core.Topology.DomainCapacity.Of(snapshot, tree, TopologyTree.RootDomain));
        return response;
    }

    /// <summary>The level asked for: its label, the label's last segment, or "cluster"; by default the one above the hostname.</summary>
    private static int Depth(TopologyTree tree, string level)
    {
        var levels = tree.Spec.Levels;
        if (level.Length == 0)
            return tree.Depth >= 2 && levels[^1] == TopologySpec.HostnameLabel ? tree.Depth - 1 : tree.Depth;
        if (level == "cluster") return 0;
        for (var i = 0; i < levels.Length; i++)
        {
            var label = levels[i];
            if (label == level || label[(label.LastIndexOf('/') + 1)..] == level) return i + 1;
        }
        throw ApiErrors.Invalid("level", $"\"{level}\" is not a level of topology {tree.Spec.Name} (levels: {string.Join(", ", levels.Prepend("cluster"))})");
    }

    private static V1Alpha1.DomainCapacity ToMessage(Core.Topology.DomainCapacity d)
    {
        var m = new V1Alpha1.DomainCapacity
        {
            Domain = d.Path,
            Nodes = d.Nodes,
            GpuFree = d.FreeGpu,
            GpuTotal = d.TotalGpu,
            CpuFreeMillis = d.FreeMilliCpu,
            CpuTotalMillis = d.TotalMilliCpu,
            MemoryFreeBytes = d.FreeMemory,
            MemoryTotalBytes = d.TotalMemory,
            MaxNodeGpuFree = d.MaxNodeFreeGpu,
        };
        m.Shapes.AddRange(d.Shapes.Select(s => new V1Alpha1.GangShape { GpusPerPod = s.GpusPerPod, Pods = s.Pods }));
        return m;
    }
}
