using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// POST pods/{name}/binding (BindingREST in pkg/registry/core/pod/storage): sets spec.nodeName, merges
/// the binding's annotations, and sets the PodScheduled=True condition (podutil.UpdatePodCondition —
/// the real server does write it), in one guarded update. Refusals are 409s built by
/// errors.NewConflict on "pods/binding": already assigned, being deleted, still gated; uid and
/// resourceVersion in the binding's metadata are preconditions. The answer is a bare Status, 201.
/// Binding validation errors come back as 500 with no reason, as they do from the real server.
/// </summary>
internal sealed partial class ApiHandlers
{
    private JsonObject Bind(ApiTarget t, JsonObject body, ApiContext api, bool dryRun)
    {
        var pods = t.Kind;
        var name = t.Name!;
        var kind = JsonObjects.Str(body["kind"]);
        if (!string.IsNullOrEmpty(kind) && kind != "Binding") throw StatusResponses.BadRequest($"the kind in the data ({kind}) does not match the expected kind (Binding)");
        var meta = JsonObjects.Metadata(body);
        var ns = JsonObjects.Str(meta["namespace"]);
        if (string.IsNullOrEmpty(ns)) meta["namespace"] = t.Namespace;
        else if (ns != t.Namespace) throw StatusResponses.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        if ((JsonObjects.Str(meta["name"]) ?? "") != name) throw StatusResponses.BadRequest("name in URL does not match name in Binding object");

        // ValidatePodBinding returns a plain aggregate error, which the handler turns into a 500.
        var targetKind = JsonObjects.Str(body["target"]?["kind"]) ?? "";
        var node = JsonObjects.Str(body["target"]?["name"]) ?? "";
        var errs = new List<FieldError>();
        if (targetKind is not ("" or "Node")) errs.Add(FieldError.NotSupported("target.kind", targetKind, ["Node", "<empty>"]));
        if (node.Length == 0) errs.Add(FieldError.Required("target.name", ""));
        if (errs.Count > 0) throw new ApiException(500, "", errs.Count == 1 ? errs[0].ToString() : $"[{string.Join(", ", errs)}]");

        var (fault, afterCommit) = faults.ForBind(new BindAttempt(t.Namespace!, name, node));
        if (fault is not null && !afterCommit) throw fault;
        store.Atomically(() =>
        {
            var key = ObjectStore.Key(t.Namespace, name);
            var pod = store.Get(pods.StorageName, key) ?? throw StatusResponses.NotFound(pods, name);
            var uid = JsonObjects.MetaStr(pod, "uid");
            if (JsonObjects.Str(meta["uid"]) is { Length: > 0 } wantUid && wantUid != uid)
                throw StatusResponses.Conflict(pods, name, $"Precondition failed: UID in precondition: {wantUid}, UID in object meta: {uid}");
            if (JsonObjects.Str(meta["resourceVersion"]) is { Length: > 0 } wantRv && wantRv != JsonObjects.MetaStr(pod, "resourceVersion"))
                throw StatusResponses.Conflict(pods, name, $"Precondition failed: ResourceVersion in precondition: {wantRv}, ResourceVersion in object meta: {JsonObjects.MetaStr(pod, "resourceVersion")}");
            if (pod["metadata"]?["deletionTimestamp"] is not null)
                throw StatusResponses.Conflict(pods, name, $"pod {name} is being deleted, cannot be assigned to a host", "pods/binding");
            if (JsonObjects.Str(pod["spec"]?["nodeName"]) is { Length: > 0 } assigned)
                throw StatusResponses.Conflict(pods, name, $"pod {name} is already assigned to node \"{assigned}\"", "pods/binding");
            if (pod["spec"]?["schedulingGates"] is JsonArray { Count: > 0 })
                throw StatusResponses.Conflict(pods, name, $"pod {name} has non-empty .spec.schedulingGates", "pods/binding");

            var bound = pod.DeepClone().AsObject();
            JsonObjects.Ensure(bound, "spec")["nodeName"] = node;
            if (meta["annotations"] is JsonObject annotations && annotations.Count > 0)
            {
                var podAnnotations = JsonObjects.Ensure(bound, "metadata.annotations");
                foreach (var (k, v) in annotations) podAnnotations[k] = v?.DeepClone();
            }
            SetPodScheduled(bound, api);
            if (!dryRun) store.Update(pods.StorageName, key, bound);
        });
        if (fault is not null) throw fault;
        return StatusResponses.CreatedSuccess();
    }

    /// <summary>podutil.UpdatePodCondition with PodScheduled=True: keeps the transition time if it was already True.</summary>
    private static void SetPodScheduled(JsonObject pod, ApiContext api)
    {
        var status = JsonObjects.Ensure(pod, "status");
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => JsonObjects.Str(c["type"]) == "PodScheduled");
        var transition = existing is not null && JsonObjects.Str(existing["status"]) == "True" && existing["lastTransitionTime"] is { } t
            ? t.DeepClone()
            : JsonValue.Create(JsonObjects.Time(api.Now));
        var condition = new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = transition };
        if (existing is null) conditions.Add(condition);
        else conditions[conditions.IndexOf(existing)] = condition;
    }
}
