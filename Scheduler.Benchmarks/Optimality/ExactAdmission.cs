using Google.OrTools.Sat;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Optimality;

/// <summary>The best admission CP-SAT found for a batch, and whether it proved it optimal.</summary>
public sealed record ExactResult(long AdmittedGpus, int AdmittedGroups, bool Optimal, double Seconds);

/// <summary>
/// The exact counterpart of one scheduling cycle's minima: which groups of a batch to admit, and
/// where, to maximise the GPUs of the admitted groups' minima, under the same rules Quorum enforces
/// (every level's minimum, required topology levels, node filters, capacity). Google OR-Tools' CP-SAT
/// solves it; it is exponential, so only for small clusters and batches.
/// </summary>
public static class ExactAdmission
{
    private static readonly FilterChain Filters = SchedulerProfile.Default().Filters;

    /// <param name="mustAdmit">Groups the solution must admit (to ask: given these, could more fit?).</param>
    public static ExactResult Solve(ClusterSnapshot snapshot, TopologyTree tree, IReadOnlyList<GangRequest> batch, double timeLimitSeconds,
        IReadOnlySet<ObjectKey>? mustAdmit = null)
    {
        var model = new CpModel();
        var nodes = snapshot.Nodes.ToList();
        var podVars = new Dictionary<(int Pod, int Node), BoolVar>();
        var pods = new List<(Pod Pod, GangRequest Group)>();
        long objectiveScale = 0;
        var roots = new List<(BoolVar Admitted, long Gpus)>();
        var leaves = new List<(BoolVar Admitted, long Gpus)>();

        foreach (var request in batch)
        {
            var gang = request.Tree;
            var admitted = gang.Nodes.ToDictionary(g => g, g => model.NewBoolVar($"{request.Key}/{g.Path}"));
            // Pods of each leaf, and their placement variables.
            var leafPods = gang.Nodes.Where(g => g.IsLeaf).ToDictionary(g => g, _ => new List<int>());
            foreach (var pod in request.Members.Where(p => !p.IsBound && !p.SchedulingGated))
            {
                if (gang.LeafFor(pod.Group?.SubGroup) is not { } leaf) continue;
                var index = pods.Count;
                pods.Add((pod, request));
                leafPods[leaf].Add(index);
                var any = new List<BoolVar>();
                foreach (var n in nodes)
                {
                    if (!Filters.Passes(pod, n)) continue;
                    var x = model.NewBoolVar($"x{index}_{n.Slot}");
                    podVars[(index, n.Slot)] = x;
                    any.Add(x);
                }
                // A pod is placed at most once, and only when its leaf is admitted.
                model.Add(LinearExpr.Sum(any) <= admitted[leaf]);
            }
            foreach (var g in gang.Nodes)
            {
                if (g.Parent is not null) model.AddImplication(admitted[g], admitted[g.Parent]);
                if (g.IsLeaf)
                {
                    // Exactly the minimum: extras are a second phase in Quorum too.
                    var placed = leafPods[g].SelectMany(i => nodes.Where(n => podVars.ContainsKey((i, n.Slot))).Select(n => podVars[(i, n.Slot)]));
                    model.Add(LinearExpr.Sum(placed) == g.MinMember * (LinearExpr)admitted[g]);
                }
                else
                {
                    // Exactly the minimum of children too: children above it are extras.
                    model.Add(LinearExpr.Sum(g.Children.Select(c => admitted[c])) == g.MinSubGroup * (LinearExpr)admitted[g]);
                }
                if (g.RequiredDepth > 0)
                {
                    // One domain of the required level holds every pod below g.
                    var domains = new List<int>();
                    tree.DomainsAt(TopologyTree.RootDomain, g.RequiredDepth, domains);
                    var choose = domains.ToDictionary(d => d, d => model.NewBoolVar($"z{g.Path}_{d}"));
                    model.Add(LinearExpr.Sum(choose.Values) == admitted[g]);
                    var below = Descendants(g).Where(l => l.IsLeaf).SelectMany(l => leafPods[l]);
                    foreach (var i in below)
                        foreach (var n in nodes)
                            if (podVars.TryGetValue((i, n.Slot), out var x))
                                model.AddImplication(x, choose[tree.AncestorAt(tree.LeafOf(n.Slot), g.RequiredDepth)]);
                }
            }
            foreach (var l in gang.Nodes.Where(g => g.IsLeaf))
                leaves.Add((admitted[l], leafPods[l].Take(l.MinMember).Sum(i => pods[i].Pod.Requests.Gpu)));
            var gpus = leaves.Sum(l => l.Gpus);
            roots.Add((admitted[gang.Root], 0));
            if (mustAdmit?.Contains(request.Key) == true) model.Add(admitted[gang.Root] == 1);
            objectiveScale = gpus;
        }

        // Capacity of every node on every resource the pods request.
        foreach (var n in nodes)
        {
            var free = n.Free;
            var onNode = pods.Select((p, i) => (p.Pod, i)).Where(t => podVars.ContainsKey((t.i, n.Slot))).ToList();
            if (onNode.Count == 0) continue;
            void Cap(Func<ResourceVector, long> amount, long limit)
            {
                var terms = onNode.Where(t => amount(t.Pod.Requests) > 0).ToList();
                if (terms.Count == 0) return;
                model.Add(LinearExpr.WeightedSum(terms.Select(t => podVars[(t.i, n.Slot)]), terms.Select(t => amount(t.Pod.Requests))) <= limit);
            }
            Cap(r => r.Gpu, free.Gpu);
            Cap(r => r.MilliCpu, free.MilliCpu);
            Cap(r => r.Memory, free.Memory);
            Cap(r => r.Pods, free.Pods);
        }

        // Maximise admitted GPUs, then admitted groups.
        var groupsWeight = objectiveScale + 1;
        var objective = LinearExpr.WeightedSum(leaves.Select(l => l.Admitted), leaves.Select(l => l.Gpus * groupsWeight))
            + LinearExpr.Sum(roots.Select(r => r.Admitted));
        model.Maximize(objective);

        var solver = new CpSolver { StringParameters = $"max_time_in_seconds:{timeLimitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} num_workers:2 random_seed:1" };
        var status = solver.Solve(model);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
            return new ExactResult(0, 0, false, solver.WallTime());
        var admittedGroups = roots.Count(r => solver.BooleanValue(r.Admitted));
        var admittedGpus = leaves.Where(l => solver.BooleanValue(l.Admitted)).Sum(l => l.Gpus);
        return new ExactResult(admittedGpus, admittedGroups, status == CpSolverStatus.Optimal, solver.WallTime());
    }

    private static IEnumerable<GangNode> Descendants(GangNode g) => g.Children.SelectMany(Descendants).Prepend(g);
}
