using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// Pods (pkg/registry/core/pod, pkg/apis/core/v1/defaults.go, pkg/apis/core/validation, and the
/// Priority, DefaultTolerationSeconds and ServiceAccount admission plugins), reduced to what a
/// scheduler can observe: defaults, create-time status (Pending + QoS class, SchedulingGated),
/// priority resolution from PriorityClasses, the update rules that make a bound pod's spec immutable,
/// generation tracking, and graceful deletion once bound.
/// </summary>
internal sealed class PodStrategy : ResourceKind
{
    private static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>(ObjectMetaMergeKeys, StringComparer.Ordinal)
    {
        ["spec.containers"] = "name",
        ["spec.initContainers"] = "name",
        ["spec.ephemeralContainers"] = "name",
        ["spec.containers[].ports"] = "containerPort",
        ["spec.initContainers[].ports"] = "containerPort",
        ["spec.containers[].env"] = "name",
        ["spec.initContainers[].env"] = "name",
        ["spec.containers[].volumeMounts"] = "mountPath",
        ["spec.initContainers[].volumeMounts"] = "mountPath",
        ["spec.containers[].volumeDevices"] = "devicePath",
        ["spec.initContainers[].volumeDevices"] = "devicePath",
        ["spec.volumes"] = "name",
        ["spec.imagePullSecrets"] = "name",
        ["spec.hostAliases"] = "ip",
        ["spec.topologySpreadConstraints"] = "topologyKey",
        ["spec.schedulingGates"] = "name",
        ["spec.resourceClaims"] = "name",
        ["status.conditions"] = "type",
        ["status.podIPs"] = "ip",
        ["status.hostIPs"] = "ip",
        ["status.resourceClaimStatuses"] = "name",
    };

    public PodStrategy()
    {
    }

    public override bool TracksGeneration => true;

    public override bool ReturnDeletedObject => true;

    public override IReadOnlyDictionary<string, string> MergeKeys => Keys;

    public override Type ModelType => typeof(V1Pod);

    public override IEnumerable<string> FieldLabels =>
    [
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    ];

    public override string FieldValue(JsonObject obj, string field) => field switch
    {
        "spec.hostNetwork" => JsonObjects.Bool(JsonObjects.At(obj, field)) == true ? "true" : "false",
        "status.podIP" => JsonObjects.Str(JsonObjects.At(obj, "status.podIPs") is JsonArray { Count: > 0 } ips ? ips[0]?["ip"] : JsonObjects.At(obj, "status.podIP")) ?? "",
        _ => base.FieldValue(obj, field),
    };

    /// <summary>SetDefaults_Pod, SetDefaults_PodSpec and SetDefaults_Container.</summary>
    public override void Default(JsonObject obj, ApiContext ctx)
    {
        var spec = JsonObjects.Ensure(obj, "spec");
        obj["status"] ??= new JsonObject();
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["securityContext"] ??= new JsonObject();
        spec["schedulerName"] ??= "default-scheduler";
        spec["enableServiceLinks"] ??= true;
        foreach (var list in new[] { "containers", "initContainers" })
        {
            if (spec[list] is not JsonArray containers) continue;
            foreach (var c in containers.OfType<JsonObject>())
            {
                c["terminationMessagePath"] ??= "/dev/termination-log";
                c["terminationMessagePolicy"] ??= "File";
                c["imagePullPolicy"] ??= PullPolicy(JsonObjects.Str(c["image"]) ?? "");
                var resources = c["resources"] as JsonObject ?? new JsonObject();
                c["resources"] = resources;
                // Requests default to limits where only a limit is given (SetDefaults_Pod).
                if (resources["limits"] is JsonObject limits)
                {
                    var requests = resources["requests"] as JsonObject ?? new JsonObject();
                    foreach (var (name, value) in limits)
                    {
                        if (!requests.ContainsKey(name)) requests[name] = value?.DeepClone();
                    }
                    resources["requests"] = requests;
                }
                if (c["ports"] is JsonArray ports)
                {
                    foreach (var p in ports.OfType<JsonObject>()) p["protocol"] ??= "TCP";
                }
            }
        }
    }

    private static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal)) return "IfNotPresent";
        var lastSlash = image.LastIndexOf('/');
        var tagAt = image.LastIndexOf(':');
        var tag = tagAt > lastSlash ? image[(tagAt + 1)..] : "";
        return tag.Length == 0 || tag == "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>Mutating admission on create: ServiceAccount, Priority, DefaultTolerationSeconds.</summary>
    public override void AdmitCreate(JsonObject obj, ApiContext ctx)
    {
        var spec = JsonObjects.Ensure(obj, "spec");
        var name = JsonObjects.Name(obj);

        // ServiceAccount admission (token volume injection is not modelled).
        if (string.IsNullOrEmpty(JsonObjects.Str(spec["serviceAccountName"]))) spec["serviceAccountName"] = "default";
        spec["serviceAccount"] = spec["serviceAccountName"]!.DeepClone();

        // Priority admission: resolve priorityClassName (or the global default class) to spec.priority.
        var className = JsonObjects.Str(spec["priorityClassName"]) ?? "";
        long priority = 0;
        string? preemption = "PreemptLowerPriority";
        if (className.Length == 0)
        {
            var global = ctx.Store.All("priorityclasses.scheduling.k8s.io").Select(p => p.Value)
                .FirstOrDefault(p => JsonObjects.Bool(p["globalDefault"]) == true);
            if (global is not null)
            {
                spec["priorityClassName"] = JsonObjects.Name(global);
                priority = JsonObjects.Long(global["value"]) ?? 0;
                preemption = JsonObjects.Str(global["preemptionPolicy"]);
            }
        }
        else
        {
            var pc = ctx.Store.Get("priorityclasses.scheduling.k8s.io", className)
                ?? throw StatusResponses.Forbidden(this, name, $"no PriorityClass with name {className} was found");
            priority = JsonObjects.Long(pc["value"]) ?? 0;
            preemption = JsonObjects.Str(pc["preemptionPolicy"]);
        }
        if (JsonObjects.Long(spec["priority"]) is { } given && given != priority)
            throw StatusResponses.Forbidden(this, name, $"the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        spec["priority"] = priority;
        if (preemption is not null)
        {
            if (JsonObjects.Str(spec["preemptionPolicy"]) is { } p && p != preemption)
                throw StatusResponses.Forbidden(this, name, $"the string value of PreemptionPolicy ({p}) must not be provided in pod spec; priority admission controller computed {preemption} from the given PriorityClass name");
            spec["preemptionPolicy"] = preemption;
        }

        // DefaultTolerationSeconds: tolerate not-ready/unreachable NoExecute taints for 300 s.
        var tolerations = spec["tolerations"] as JsonArray ?? new JsonArray();
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
        {
            var tolerated = tolerations.OfType<JsonObject>().Any(t =>
                (JsonObjects.Str(t["key"]) is null or "" || JsonObjects.Str(t["key"]) == key) &&
                (JsonObjects.Str(t["effect"]) is null or "" || JsonObjects.Str(t["effect"]) == "NoExecute"));
            if (!tolerated)
                tolerations.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 });
        }
        spec["tolerations"] = tolerations;
    }

    /// <summary>Create ignores any status sent: Pending with the QoS class, SchedulingGated if gated.</summary>
    public override void PrepareForCreate(JsonObject obj, ApiContext ctx)
    {
        var status = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
        if (obj["spec"]?["schedulingGates"] is JsonArray { Count: > 0 })
        {
            status["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "False",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = null,
                ["reason"] = "SchedulingGated",
                ["message"] = "Scheduling is blocked due to non-empty scheduling gates",
            });
        }
        obj["status"] = status;
        base.PrepareForCreate(obj, ctx);
    }

    /// <summary>Priority admission on update keeps what create computed; then the usual main-resource rules.</summary>
    public override void PrepareForUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        var spec = JsonObjects.Ensure(obj, "spec");
        foreach (var field in new[] { "priority", "preemptionPolicy" })
        {
            if (spec[field] is null && old["spec"]?[field] is { } kept) spec[field] = kept.DeepClone();
        }
        base.PrepareForUpdate(obj, old, ctx);
    }

    public override void PrepareForStatusUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        base.PrepareForStatusUpdate(obj, old, ctx);
        // podStatusStrategy also refuses owner reference changes through /status.
        var meta = JsonObjects.Metadata(obj);
        if (old["metadata"]?["ownerReferences"] is { } owners) meta["ownerReferences"] = owners.DeepClone();
        else meta.Remove("ownerReferences");
    }

    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx)
    {
        var errs = base.ValidateCreate(obj, ctx);
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        ValidateContainers(spec, errs);
        if (JsonObjects.Str(spec["restartPolicy"]) is { } rp && rp is not ("Always" or "OnFailure" or "Never"))
            errs.Add(FieldError.NotSupported("spec.restartPolicy", rp, ["Always", "Never", "OnFailure"]));
        if (JsonObjects.Str(spec["dnsPolicy"]) is { } dp && dp is not ("ClusterFirstWithHostNet" or "ClusterFirst" or "Default" or "None"))
            errs.Add(FieldError.NotSupported("spec.dnsPolicy", dp, ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]));
        if (JsonObjects.Str(spec["nodeName"]) is { Length: > 0 } node)
        {
            foreach (var msg in Validation.IsDns1123Subdomain(node)) errs.Add(FieldError.Invalid("spec.nodeName", node, msg));
            if (spec["schedulingGates"] is JsonArray { Count: > 0 })
                errs.Add(FieldError.Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
        }
        return errs;
    }

    private static void ValidateContainers(JsonObject spec, List<FieldError> errs)
    {
        if (spec["containers"] is not JsonArray { Count: > 0 }) errs.Add(FieldError.Required("spec.containers", ""));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is not JsonArray containers) continue;
            for (var i = 0; i < containers.Count; i++)
            {
                var path = $"spec.{list}[{i}]";
                var c = containers[i] as JsonObject ?? new JsonObject();
                var name = JsonObjects.Str(c["name"]) ?? "";
                if (name.Length == 0) errs.Add(FieldError.Required($"{path}.name", ""));
                else
                {
                    foreach (var msg in Validation.IsDns1123Label(name)) errs.Add(FieldError.Invalid($"{path}.name", name, msg));
                    if (!names.Add(name)) errs.Add(FieldError.Duplicate($"{path}.name", name));
                }
                if (string.IsNullOrWhiteSpace(JsonObjects.Str(c["image"]))) errs.Add(FieldError.Required($"{path}.image", ""));
                ValidateResources(c["resources"] as JsonObject, $"{path}.resources", errs);
            }
        }
    }

    private static void ValidateResources(JsonObject? resources, string path, List<FieldError> errs)
    {
        var requests = resources?["requests"] as JsonObject ?? [];
        var limits = resources?["limits"] as JsonObject ?? [];
        foreach (var (name, value) in requests)
        {
            var request = new ResourceQuantity(JsonObjects.ScalarText(value));
            if (limits[name] is not { } limit)
            {
                // ValidateResourceRequirements: extended resources and hugepages cannot be overcommitted.
                if (!IsOvercommitable(name)) errs.Add(FieldError.Required($"{path}.limits", "Limit must be set for non overcommitable resources"));
                continue;
            }
            var max = new ResourceQuantity(JsonObjects.ScalarText(limit));
            if (!IsOvercommitable(name) && request.ToDecimal() != max.ToDecimal())
                errs.Add(FieldError.Invalid($"{path}.requests[{name}]", request.ToString(), $"must be equal to {name} limit of {max}"));
            else if (request.ToDecimal() > max.ToDecimal())
                errs.Add(FieldError.Invalid($"{path}.requests[{name}]", request.ToString(), $"must be less than or equal to {name} limit of {max}"));
        }
    }

    /// <summary>helper.IsOvercommitAllowed: native resources without the hugepages- prefix; extended resources (domain-prefixed, outside kubernetes.io) are not.</summary>
    private static bool IsOvercommitable(string name)
    {
        if (name.StartsWith("hugepages-", StringComparison.Ordinal)) return false;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return true;
        var domain = name[..slash];
        return domain == "kubernetes.io" || domain.EndsWith(".kubernetes.io", StringComparison.Ordinal) || name.StartsWith("requests.", StringComparison.Ordinal);
    }

    /// <summary>ValidatePodUpdate: a pod's spec is immutable except images, deadlines, added tolerations and cleared gates.</summary>
    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        var errs = base.ValidateUpdate(obj, old, ctx);
        var newSpec = obj["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        var oldSpec = old["spec"] as JsonObject ?? new JsonObject();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            if (newSpec[list] is JsonArray n && oldSpec[list] is JsonArray o && n.Count == o.Count)
            {
                for (var i = 0; i < n.Count; i++)
                {
                    if (n[i] is JsonObject nc && o[i] is JsonObject oc) nc["image"] = oc["image"]?.DeepClone();
                }
            }
        }
        foreach (var mutable in new[] { "activeDeadlineSeconds", "terminationGracePeriodSeconds" })
        {
            if (oldSpec[mutable] is { } v) newSpec[mutable] = v.DeepClone();
            else newSpec.Remove(mutable);
        }
        var oldTolerations = oldSpec["tolerations"] as JsonArray ?? [];
        var newTolerations = newSpec["tolerations"] as JsonArray ?? [];
        if (oldTolerations.All(t => newTolerations.Any(n => JsonNode.DeepEquals(n, t))))
        {
            if (oldSpec["tolerations"] is { } t) newSpec["tolerations"] = t.DeepClone();
            else newSpec.Remove("tolerations");
        }
        var oldGates = oldSpec["schedulingGates"] as JsonArray ?? [];
        if (oldGates.Count > 0)
        {
            var newGates = newSpec["schedulingGates"] as JsonArray ?? [];
            foreach (var g in newGates)
            {
                if (!oldGates.Any(o => JsonNode.DeepEquals(o, g)))
                    errs.Add(FieldError.Forbidden("spec.schedulingGates", $"only deletion is allowed, but found new scheduling gate '{JsonObjects.Str(g?["name"])}'"));
            }
            // A gated pod may also gain node selectors and affinity before it is released.
            foreach (var relaxed in new[] { "schedulingGates", "nodeSelector", "affinity" })
            {
                if (oldSpec[relaxed] is { } v) newSpec[relaxed] = v.DeepClone();
                else newSpec.Remove(relaxed);
            }
        }
        else if (newSpec["schedulingGates"] is JsonArray { Count: > 0 })
        {
            errs.Add(FieldError.Forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate"));
            newSpec.Remove("schedulingGates");
        }
        if (!JsonNode.DeepEquals(newSpec, oldSpec))
        {
            errs.Add(FieldError.Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        }
        return errs;
    }

    /// <summary>podStrategy.CheckGracefulDelete.</summary>
    public override long GracePeriodSeconds(JsonObject obj, long? requested)
    {
        var period = requested ?? JsonObjects.Long(obj["spec"]?["terminationGracePeriodSeconds"]) ?? 0;
        if (string.IsNullOrEmpty(JsonObjects.Str(obj["spec"]?["nodeName"]))) period = 0;
        if (JsonObjects.Str(obj["status"]?["phase"]) is "Failed" or "Succeeded") period = 0;
        return period < 0 ? 1 : period;
    }

    /// <summary>A bookmark is an empty Pod as Go writes it: spec.containers null, status empty.</summary>
    public override JsonObject Bookmark(long revision)
    {
        var b = base.Bookmark(revision);
        b["spec"] = new JsonObject { ["containers"] = null };
        b["status"] = new JsonObject();
        return b;
    }

    /// <summary>qos.GetPodQOS over cpu and memory.</summary>
    private static string QosClass(JsonObject pod)
    {
        var requests = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var limits = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var guaranteed = true;
        var spec = pod["spec"] as JsonObject;
        var containers = new[] { "containers", "initContainers" }.SelectMany(l => spec?[l] as JsonArray ?? []).OfType<JsonObject>();
        foreach (var c in containers)
        {
            foreach (var (name, value) in c["resources"]?["requests"] as JsonObject ?? [])
            {
                if (name is not ("cpu" or "memory")) continue;
                var q = new ResourceQuantity(JsonObjects.ScalarText(value)).ToDecimal();
                if (q != 0) requests[name] = requests.GetValueOrDefault(name) + q;
            }
            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, value) in c["resources"]?["limits"] as JsonObject ?? [])
            {
                if (name is not ("cpu" or "memory")) continue;
                var q = new ResourceQuantity(JsonObjects.ScalarText(value)).ToDecimal();
                if (q != 0)
                {
                    found.Add(name);
                    limits[name] = limits.GetValueOrDefault(name) + q;
                }
            }
            if (found.Count < 2) guaranteed = false;
        }
        if (requests.Count == 0 && limits.Count == 0) return "BestEffort";
        if (guaranteed && requests.Count == limits.Count && requests.All(r => limits.TryGetValue(r.Key, out var l) && l == r.Value)) return "Guaranteed";
        return "Burstable";
    }
}
