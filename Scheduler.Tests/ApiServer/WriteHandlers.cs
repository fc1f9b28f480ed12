using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// create, update (PUT), patch and delete, following genericregistry.Store: BeforeCreate/BeforeUpdate
/// fill the system metadata and run the kind's strategy, optimistic concurrency on
/// metadata.resourceVersion (409 Conflict), no write at all for an update that changes nothing (no
/// new resourceVersion, no watch event), finalizers and graceful deletion through deletionTimestamp,
/// and deletes answered with the object or a Status depending on the kind.
/// </summary>
internal sealed partial class ApiHandlers
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private enum PatchKind { Json, Merge, Strategic }

    /// <summary>Creates (under the store lock). Returns the wire form of what was stored.</summary>
    internal JsonObject Create(ResourceKind kind, string? urlNamespace, JsonObject body, ApiContext api, bool dryRun)
    {
        CheckTypeMeta(kind, body);
        var meta = JsonObjects.Metadata(body);
        if (kind.Namespaced)
        {
            var ns = JsonObjects.Str(meta["namespace"]);
            if (string.IsNullOrEmpty(ns)) meta["namespace"] = urlNamespace;
            else if (ns != urlNamespace) throw StatusResponses.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        else
        {
            meta.Remove("namespace");
        }
        if (!string.IsNullOrEmpty(JsonObjects.Str(meta["resourceVersion"])))
            throw StatusResponses.BadRequest("resourceVersion should not be set on objects to be created");
        kind.Decode(body, api);
        var obj = kind.ToStorage(body);
        meta = JsonObjects.Metadata(obj);
        var name = JsonObjects.Name(obj);
        var ns1 = JsonObjects.Namespace(obj);

        // Admission: NamespaceLifecycle, then the kind's mutating and validating plugins.
        if (kind.Namespaced) CheckNamespaceAdmission(kind, ns1!, name);
        kind.Default(obj, api);
        kind.AdmitCreate(obj, api);
        kind.ValidateAdmission(obj, api);

        // rest.BeforeCreate: system fields are the server's, whatever the client sent.
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = JsonObjects.Time(api.Now);
        kind.PrepareForCreate(obj, api);
        var generated = name.Length == 0 && !string.IsNullOrEmpty(JsonObjects.Str(meta["generateName"]));
        if (generated) meta["name"] = name = GenerateName(JsonObjects.Str(meta["generateName"])!);

        var errs = kind.ValidateCreate(obj, api);
        if (errs.Count > 0) throw StatusResponses.Invalid(kind, name, errs);

        // A generated name that collides is retried, as the server does since 1.32.
        for (var attempt = 0; generated && attempt < 7 && store.Get(kind.StorageName, ObjectStore.Key(ns1, name)) is not null; attempt++)
            meta["name"] = name = GenerateName(JsonObjects.Str(meta["generateName"])!);
        var key = ObjectStore.Key(ns1, name);
        if (store.Get(kind.StorageName, key) is not null) throw StatusResponses.AlreadyExists(kind, name);
        if (dryRun) return kind.FromStorage(obj);
        return kind.FromStorage(store.Create(kind.StorageName, key, obj));
    }

    private static string GenerateName(string prefix)
    {
        // names.SimpleNameGenerator: base truncated to 58 characters plus five random ones.
        var basePart = prefix.Length > 58 ? prefix[..58] : prefix;
        return basePart + string.Concat(Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)]));
    }

    /// <summary>PUT of the object or its /status. Returns 201 when an update created it (kinds that allow that).</summary>
    private (int Code, JsonObject Body) Replace(ApiTarget t, JsonObject body, ApiContext api, bool dryRun)
    {
        var kind = t.Kind;
        CheckTypeMeta(kind, body);
        CheckNameAndNamespace(t, body);
        var key = ObjectStore.Key(t.Namespace, t.Name!);
        var current = store.Get(kind.StorageName, key);
        if (current is null)
        {
            if (t.Subresource is null && kind.AllowCreateOnUpdate)
            {
                JsonObjects.Metadata(body).Remove("resourceVersion");
                return (201, Create(kind, t.Namespace, body, api, dryRun));
            }
            throw StatusResponses.NotFound(kind, t.Name!);
        }
        var requestedRv = JsonObjects.MetaStr(body, "resourceVersion");
        if (string.IsNullOrEmpty(requestedRv))
        {
            if (!kind.AllowUnconditionalUpdate)
                throw StatusResponses.Invalid(kind, t.Name!, [new FieldError("FieldValueInvalid", "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]);
        }
        else if (ListOptions.ParseRevision(requestedRv) != JsonObjects.ResourceVersion(current))
        {
            throw StatusResponses.Conflict(kind, t.Name!, StatusResponses.ModifiedCause);
        }
        kind.Decode(body, api);
        return (200, Update(kind, key, kind.ToStorage(body), current, t.Subresource == "status", api, dryRun));
    }

    private static PatchKind PatchType(HttpContext ctx, ResourceKind kind)
    {
        var accepted = kind.IsCustomResource
            ? "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            : "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json";
        switch ((ctx.Request.ContentType ?? "").Split(';')[0].Trim())
        {
            case "application/json-patch+json":
                return PatchKind.Json;
            case "application/merge-patch+json":
                return PatchKind.Merge;
            case "application/strategic-merge-patch+json" when !kind.IsCustomResource:
                return PatchKind.Strategic;
            case "application/apply-patch+yaml" or "application/apply-patch+cbor":
                // The real server supports server-side apply; the stand-in does not, and says so.
                throw StatusResponses.UnsupportedMediaType("server-side apply (application/apply-patch+yaml) is not implemented by the API stand-in");
            default:
                throw StatusResponses.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: {accepted}");
        }
    }

    private JsonObject Patch(ApiTarget t, PatchKind type, JsonNode? patch, ApiContext api, bool dryRun)
    {
        var kind = t.Kind;
        var key = ObjectStore.Key(t.Namespace, t.Name!);
        var current = store.Get(kind.StorageName, key) ?? throw StatusResponses.NotFound(kind, t.Name!);
        var wire = kind.FromStorage(current);
        var patched = type switch
        {
            PatchKind.Json => JsonPatch.Apply(wire, patch),
            PatchKind.Merge => JsonPatch.MergePatch(wire, patch),
            _ => StrategicMergePatch.Apply(wire, patch as JsonObject ?? throw StatusResponses.BadRequest("strategic merge patch must be a JSON object"), kind.MergeKeys),
        };
        if (patched is not JsonObject obj) throw new ApiException(422, "Invalid", "the patched document is not a JSON object");
        CheckNameAndNamespace(t, obj);
        var uid = JsonObjects.MetaStr(obj, "uid");
        var currentUid = JsonObjects.MetaStr(current, "uid");
        if (!string.IsNullOrEmpty(uid) && uid != currentUid)
            throw StatusResponses.Conflict(kind, t.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {currentUid}");
        var rv = JsonObjects.MetaStr(obj, "resourceVersion");
        if (!string.IsNullOrEmpty(rv) && ListOptions.ParseRevision(rv) != JsonObjects.ResourceVersion(current))
            throw StatusResponses.Conflict(kind, t.Name!, StatusResponses.ModifiedCause);
        kind.Decode(obj, api);
        return Update(kind, key, kind.ToStorage(obj), current, t.Subresource == "status", api, dryRun);
    }

    /// <summary>The shared update path (rest.BeforeUpdate + strategy + validation + store), under the lock.</summary>
    internal JsonObject Update(ResourceKind kind, string key, JsonObject obj, JsonObject old, bool status, ApiContext api, bool dryRun)
    {
        var meta = JsonObjects.Metadata(obj);
        var oldMeta = JsonObjects.Metadata(old);
        var name = JsonObjects.Name(old);
        var uid = JsonObjects.Str(meta["uid"]);
        if (string.IsNullOrEmpty(uid)) meta["uid"] = oldMeta["uid"]?.DeepClone();
        else if (uid != JsonObjects.Str(oldMeta["uid"])) throw StatusResponses.Invalid(kind, name, [FieldError.Invalid("metadata.uid", uid, "field is immutable")]);
        foreach (var field in new[] { "name", "namespace", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion" })
        {
            if (oldMeta[field] is { } value) meta[field] = value.DeepClone();
            else meta.Remove(field);
        }
        kind.Default(obj, api);
        if (status) kind.PrepareForStatusUpdate(obj, old, api);
        else kind.PrepareForUpdate(obj, old, api);
        var errs = status ? kind.ValidateStatusUpdate(obj, old, api) : kind.ValidateUpdate(obj, old, api);
        if (errs.Count > 0) throw StatusResponses.Invalid(kind, name, errs);

        // etcd3's GuaranteedUpdate skips writes that change nothing: same resourceVersion, no event.
        if (JsonNode.DeepEquals(obj, old)) return kind.FromStorage(old);
        if (dryRun) return kind.FromStorage(obj);
        // The last finalizer gone from an object being deleted (with no grace period left): it goes now.
        if (meta["deletionTimestamp"] is not null && (meta["finalizers"] as JsonArray ?? []).Count == 0 && (JsonObjects.Long(meta["deletionGracePeriodSeconds"]) ?? 0) == 0)
        {
            store.Delete(kind.StorageName, key);
            return kind.FromStorage(obj);
        }
        return kind.FromStorage(store.Update(kind.StorageName, key, obj));
    }

    /// <summary>Deletes (under the store lock): graceful or finalizer-held objects are only marked.</summary>
    internal JsonObject Delete(ResourceKind kind, string? ns, string name, JsonObject options, ApiContext api, bool dryRun)
    {
        var key = ObjectStore.Key(ns, name);
        var current = store.Get(kind.StorageName, key) ?? throw StatusResponses.NotFound(kind, name);
        kind.CheckDelete(current);
        var uid = JsonObjects.MetaStr(current, "uid");
        if (JsonObjects.Str(options["preconditions"]?["uid"]) is { Length: > 0 } wantUid && wantUid != uid)
            throw StatusResponses.Conflict(kind, name, $"Precondition failed: UID in precondition: {wantUid}, UID in object meta: {uid}");
        if (JsonObjects.Str(options["preconditions"]?["resourceVersion"]) is { Length: > 0 } wantRv && wantRv != JsonObjects.MetaStr(current, "resourceVersion"))
            throw StatusResponses.Conflict(kind, name, $"Precondition failed: ResourceVersion in precondition: {wantRv}, ResourceVersion in object meta: {JsonObjects.MetaStr(current, "resourceVersion")}");
        if (kind is NamespaceStrategy) return TerminateNamespace(kind, current, api, dryRun);

        var grace = kind.GracePeriodSeconds(current, JsonObjects.Long(options["gracePeriodSeconds"]));
        var finalizers = (current["metadata"]?["finalizers"] as JsonArray ?? []).Count > 0;
        var meta = current["metadata"]!;
        if (meta["deletionTimestamp"] is not null)
        {
            // Already being deleted: a shorter grace period may bring it forward; zero with no finalizers ends it.
            var remaining = JsonObjects.Long(meta["deletionGracePeriodSeconds"]) ?? 0;
            if (grace == 0 && !finalizers) return DeleteNow(kind, key, current, dryRun);
            if (grace >= remaining || dryRun) return kind.FromStorage(current);
            return kind.FromStorage(store.Update(kind.StorageName, key, MarkDeleted(current, grace, api)));
        }
        if (finalizers || grace > 0)
        {
            var marked = MarkDeleted(current, grace, api);
            if (dryRun) return kind.FromStorage(marked);
            var updated = store.Update(kind.StorageName, key, marked);
            if (grace > 0 && kind is PodStrategy) ScheduleKubeletDeletion(kind, key, uid);
            return kind.FromStorage(updated);
        }
        return DeleteNow(kind, key, current, dryRun);
    }

    private JsonObject DeleteNow(ResourceKind kind, string key, JsonObject current, bool dryRun)
    {
        var last = dryRun ? current : store.Delete(kind.StorageName, key);
        return kind.ReturnDeletedObject ? kind.FromStorage(last) : StatusResponses.DeleteSuccess(kind, JsonObjects.Name(last), JsonObjects.MetaStr(last, "uid"));
    }

    /// <summary>rest.BeforeDelete for graceful or finalized deletion: deletionTimestamp, grace period, generation+1.</summary>
    private static JsonObject MarkDeleted(JsonObject current, long grace, ApiContext api)
    {
        var marked = current.DeepClone().AsObject();
        var meta = JsonObjects.Metadata(marked);
        meta["deletionTimestamp"] = JsonObjects.Time(api.Now.AddSeconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
        if (JsonObjects.Long(meta["generation"]) is { } g and > 0) meta["generation"] = g + 1;
        return marked;
    }

    private JsonObject DeleteCollection(ApiTarget t, ListOptions o, JsonObject options, ApiContext api, bool dryRun)
    {
        var labels = LabelSelector.Parse(o.LabelSelector);
        var fields = FieldSelector.Parse(t.Kind, o.FieldSelector);
        var victims = store.All(t.Kind.StorageName)
            .Select(p => p.Value)
            .Where(v => (t.Namespace is null || JsonObjects.Namespace(v) == t.Namespace) && labels.Matches(v) && fields.Matches(v))
            .ToList();
        var items = new JsonArray();
        foreach (var v in victims)
        {
            var result = Delete(t.Kind, JsonObjects.Namespace(v), JsonObjects.Name(v), options, api, dryRun);
            items.Add(t.Kind.AsListItem(JsonObjects.Str(result["kind"]) == "Status" ? t.Kind.FromStorage(v) : result));
        }
        return new JsonObject
        {
            ["kind"] = t.Kind.ListKind,
            ["apiVersion"] = t.Kind.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = JsonObjects.Rv(store.Revision) },
            ["items"] = items,
        };
    }

    private static void CheckTypeMeta(ResourceKind kind, JsonObject body)
    {
        var apiVersion = JsonObjects.Str(body["apiVersion"]);
        var k = JsonObjects.Str(body["kind"]);
        if (kind.IsCustomResource && string.IsNullOrEmpty(k))
            throw StatusResponses.BadRequest($"Object 'Kind' is missing in '{JsonObjects.Serialize(body)}'");
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != kind.GroupVersion)
            throw StatusResponses.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({kind.GroupVersion})");
        if (!string.IsNullOrEmpty(k) && k != kind.Kind)
            throw StatusResponses.BadRequest($"the kind in the data ({k}) does not match the expected kind ({kind.Kind})");
    }

    private static void CheckNameAndNamespace(ApiTarget t, JsonObject body)
    {
        var meta = JsonObjects.Metadata(body);
        var name = JsonObjects.Str(meta["name"]) ?? "";
        if (name != t.Name) throw StatusResponses.BadRequest($"the name of the object ({name}) does not match the name on the URL ({t.Name})");
        if (!t.Kind.Namespaced) return;
        var ns = JsonObjects.Str(meta["namespace"]);
        if (string.IsNullOrEmpty(ns)) meta["namespace"] = t.Namespace;
        else if (ns != t.Namespace) throw StatusResponses.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
}
