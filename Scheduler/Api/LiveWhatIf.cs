using k8s.Models;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;
using Quorum.Kubernetes;
using Quorum.Scheduling;

namespace Quorum.Api;

/// <summary>
/// WhatIf: would a workload be admitted now, and where. The workload is mapped and assembled like
/// watched objects, then one scheduling cycle runs on a private copy of the snapshot: nothing is
/// assumed in the cache, nothing bound, and the live queue does not see it.
/// </summary>
internal static class LiveWhatIf
{
    /// <summary>What the loop's thread hands over: the assembled gangs and a copy of the snapshot no one else holds.</summary>
    public sealed record Prepared(ClusterSnapshot Copy, AssembledGangs Gangs, IReadOnlyDictionary<ObjectKey, int> QueuedAhead, GangAdmission Admission);

    /// <summary>
    /// A request read as far as it can be before the caller is authorized: the namespaces its pods
    /// would be created in, and how to build them once the caller may.
    /// </summary>
    public sealed record Input(IReadOnlyList<string> Namespaces, Func<ManifestSet> Build);

    /// <summary>What a request's manifests may hold: as many objects as a workload may have pods.</summary>
    private static readonly ManifestLimits Limits = new(WorkloadManifests.MaxPods, LimitName: "the most a request may hold");

    /// <summary>
    /// Caller's thread, before authorization: only what is cheap and bounded (the manifests' YAML
    /// structure, at most <see cref="WorkloadManifests.MaxPods"/> objects, no aliases; a workload's
    /// namespace). InvalidArgument names the field; too many objects: ResourceExhausted.
    /// </summary>
    public static Input Read(WhatIfRequest request)
    {
        switch (request.InputCase)
        {
            case WhatIfRequest.InputOneofCase.Workload:
                var workload = request.Workload;
                var g = workload.PodGroup ?? throw ApiErrors.Invalid("workload.pod_group", "must be set");
                var group = ProtoMapping.Key(new ObjectRef { Namespace = g.Namespace, Name = g.Name }, "workload.pod_group");
                return new Input([group.Namespace], () => WorkloadManifests.From(workload));
            case WhatIfRequest.InputOneofCase.Manifests:
                IReadOnlyList<ManifestObject> objects;
                try
                {
                    objects = ManifestReader.Scan(request.Manifests, "manifests", Limits);
                }
                catch (InvalidObjectException e)
                {
                    throw ApiErrors.Invalid(e.Message);
                }
                catch (ManifestLimitException e)
                {
                    throw ApiErrors.ResourceExhausted(e.Message);
                }
                string Only(string kind) => $"manifests: {kind} objects come from the cluster; send PodGroups and Pods only";
                if (objects.Any(o => o.Type == typeof(V1Node))) throw ApiErrors.Invalid(Only("Node"));
                if (objects.Any(o => o.Type == typeof(TopologyResource))) throw ApiErrors.Invalid(Only("Topology"));
                if (objects.Any(o => o.Type == typeof(V1PriorityClass))) throw ApiErrors.Invalid(Only("PriorityClass"));
                if (objects.Any(o => o.Type == typeof(V1PersistentVolumeClaim))) throw ApiErrors.Invalid(Only("PersistentVolumeClaim"));
                if (objects.Any(o => o.Type == typeof(V1PersistentVolume))) throw ApiErrors.Invalid(Only("PersistentVolume"));
                if (objects.Any(o => o.Type == typeof(V1StorageClass))) throw ApiErrors.Invalid(Only("StorageClass"));
                if (objects.Any(o => o.Type == typeof(V1CSINode))) throw ApiErrors.Invalid(Only("CSINode"));
                var pods = objects.Where(o => o.Type == typeof(V1Pod)).ToList();
                if (pods.Count == 0) throw ApiErrors.Invalid("manifests", "hold no Pod: nothing to place");
                var namespaces = pods.Select(p => p.Namespace ?? "default").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                return new Input(namespaces, () => Convert(objects, namespaces));
            default:
                throw ApiErrors.Invalid("input", "set workload or manifests");
        }
    }

    /// <summary>Caller's thread, once authorized: the manifests as Kubernetes objects; InvalidArgument names the field.</summary>
    private static ManifestSet Convert(IReadOnlyList<ManifestObject> objects, IReadOnlyList<string> authorized)
    {
        ManifestSet set;
        try
        {
            set = ManifestReader.Convert(objects);
        }
        catch (InvalidObjectException e)
        {
            throw ApiErrors.Invalid(e.Message);
        }
        foreach (var p in set.Pods)
        {
            var ns = string.IsNullOrEmpty(p.Metadata?.NamespaceProperty) ? "default" : p.Metadata.NamespaceProperty;
            // The namespace was authorized as the YAML wrote it; the typed object must agree.
            if (!authorized.Contains(ns, StringComparer.Ordinal))
                throw ApiErrors.Invalid($"manifests: Pod {ns}/{p.Metadata?.Name}: metadata.namespace: not read the same way twice; write it as a plain string");
            if (!string.IsNullOrEmpty(p.Spec?.NodeName))
                throw ApiErrors.Invalid($"manifests: Pod {ns}/{p.Metadata?.Name}: spec.nodeName: must be empty; whatif places pods, it does not take bound ones");
        }
        return set;
    }

    /// <summary>Loop's thread: maps the objects against live priorities and topologies, brings <paramref name="copy"/> up to date.</summary>
    public static Prepared Prepare(LoopView view, ManifestSet set, ClusterSnapshot copy)
    {
        var cluster = view.Cluster;
        var ours = view.Options.SchedulerNames[0];
        var now = view.Time.GetUtcNow();
        var errors = new List<string>();
        var groups = new List<PodGroupSpec>();
        var pods = new List<Pod>();
        foreach (var g in set.PodGroups)
        {
            try
            {
                groups.Add(ObjectMapper.ToPodGroup(g, cluster.FindPriority) with { CreationTimestamp = now });
            }
            catch (InvalidObjectException e)
            {
                errors.Add(e.Message);
            }
        }
        foreach (var p in set.Pods)
        {
            try
            {
                var pod = ObjectMapper.ToPod(p);
                // Pods written for a whatif often omit what admission would add: our schedulerName, the priority of their class.
                var priority = p.Spec?.Priority ?? (p.Spec?.PriorityClassName is { Length: > 0 } pc
                    ? cluster.FindPriority(pc) ?? throw new InvalidObjectException($"Pod {pod.Key}", "spec.priorityClassName", $"PriorityClass \"{pc}\" does not exist")
                    : 0);
                var name = string.IsNullOrEmpty(p.Spec?.SchedulerName) ? ours : pod.SchedulerName;
                if (!view.Options.SchedulerNames.Contains(name))
                    throw new InvalidObjectException($"Pod {pod.Key}", "spec.schedulerName", $"\"{name}\" is not scheduled by this scheduler ({string.Join(", ", view.Options.SchedulerNames)})");
                pods.Add(pod with { SchedulerName = ours, Priority = priority, CreationTimestamp = now });
            }
            catch (InvalidObjectException e)
            {
                errors.Add(e.Message);
            }
        }
        foreach (var dup in pods.GroupBy(p => p.Key).Where(d => d.Count() > 1)) errors.Add($"Pod {dup.Key}: metadata.name: duplicate Pod");
        foreach (var dup in groups.GroupBy(g => g.Key).Where(d => d.Count() > 1)) errors.Add($"PodGroup {dup.Key}: metadata.name: duplicate PodGroup");
        if (errors.Count > 0) throw ApiErrors.Invalid(string.Join("; ", errors));

        var gangs = GangAssembler.Assemble(groups, pods, ours, cluster.FindTopology, view.Options.DefaultTopology);
        var invalid = gangs.Refused.Where(r => r.Code == StatusCode.Invalid).Select(r => $"PodGroup {r.Group}: {r.Message}")
            .Concat(gangs.RefusedPods.Select(r => $"Pod {r.Pod}: {r.Reason}")).ToList();
        if (invalid.Count > 0) throw ApiErrors.Invalid(string.Join("; ", invalid));

        cluster.Cache.UpdateSnapshot(copy);
        return new Prepared(copy, gangs, gangs.Ready.ToDictionary(r => r.Key, view.Queue.CountAhead), view.Admission);
    }

    /// <summary>
    /// Caller's thread: one scheduling cycle on the copy with the scheduler's own profile. The
    /// workload's groups were created "now", so none is old enough to reserve.
    /// </summary>
    public static WhatIfResponse Evaluate(Prepared prepared, TimeProvider time)
    {
        var admission = prepared.Admission;
        var copy = prepared.Copy;
        var cycle = new SchedulingCycle(admission, time);
        var result = cycle.Run(copy, prepared.Gangs.Ready, out var placed);
        var requests = prepared.Gangs.Ready.ToDictionary(r => r.Key);
        try
        {
            return Respond(prepared, admission, result, requests);
        }
        finally
        {
            // Give back what the admitted groups tentatively took, so the copy is again the cluster's
            // and the next what-if only needs what changed since.
            placed.Discard();
        }
    }

    private static WhatIfResponse Respond(Prepared prepared, GangAdmission admission, CycleResult result, Dictionary<ObjectKey, GangRequest> requests)
    {
        var copy = prepared.Copy;
        var response = new WhatIfResponse();
        foreach (var d in result.Decisions)
        {
            var request = requests[d.Group];
            var tree = admission.TreeFor(copy, request.Tree);
            var outcome = new GroupOutcome
            {
                Group = ProtoMapping.Ref(d.Group),
                IsPodGroup = prepared.Gangs.PodGroupKeys.Contains(d.Group),
                Admitted = d.Admitted,
                Reason = d.Reason,
                Message = d.Message ?? "",
                QueuedAhead = prepared.QueuedAhead.GetValueOrDefault(d.Group),
            };
            outcome.Levels.AddRange(ProtoMapping.Levels(d, d.Admitted ? [] : LevelShortfall.Of(copy, tree, request, d)));
            foreach (var p in d.Placements)
            {
                var slot = copy.Find(p.Node)!.Slot;
                outcome.Placements.Add(new V1Alpha1.Placement { Pod = p.Pod.Name, Node = p.Node, SubGroup = p.SubGroup ?? "", Extra = p.Extra, Domain = tree.PathOf(tree.LeafOf(slot)) });
            }
            outcome.Unplaced.AddRange(d.Unplaced.Select(u => new PodState { Name = u.Pod.Name, Reason = u.Reason }));
            response.Groups.Add(outcome);
        }
        foreach (var r in prepared.Gangs.Refused)
        {
            var outcome = new GroupOutcome { Group = ProtoMapping.Ref(r.Group), IsPodGroup = true, Reason = r.Reason, Message = r.Message };
            outcome.Unplaced.AddRange(r.Pods.Select(p => new PodState { Name = p.Name, Reason = r.Message }));
            response.Groups.Add(outcome);
        }
        return response;
    }
}
