using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>What kind-specific hooks may consult: the clock, the options, and (under the store lock) other objects.</summary>
internal sealed class ApiContext(ObjectStore store, KubeApiStandInOptions options)
{
    public ObjectStore Store { get; } = store;

    public KubeApiStandInOptions Options { get; } = options;

    public DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    /// <summary>Warnings for the response's Warning headers (unknown fields dropped, ...).</summary>
    public List<string> Warnings { get; } = [];
}

/// <summary>
/// One served resource (group, version, plural) and its registry strategy: the per-kind rules the
/// real API server applies in pkg/registry/**/strategy.go — what create and update may set, when
/// generation moves, what a status write may touch, which field selectors exist, how deletes answer.
/// The defaults here are those of genericregistry.Store; kinds override what differs.
/// </summary>
internal class ResourceKind
{
    /// <summary>patchStrategy:"merge" lists every kind has through ObjectMeta.</summary>
    protected static readonly IReadOnlyDictionary<string, string> ObjectMetaMergeKeys = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["metadata.ownerReferences"] = "uid",
        ["metadata.finalizers"] = StrategicMergePatch.ScalarSet,
    };

    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Plural { get; init; }

    public required string Kind { get; init; }

    public string? ListKindOverride { get; init; }

    public string ListKind => ListKindOverride ?? Kind + "List";

    public bool Namespaced { get; init; }

    /// <summary>Has a /status subresource: main-resource writes keep the old status, status writes keep the rest.</summary>
    public bool HasStatus { get; init; }

    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>schema.GroupResource.String(): "pods", "leases.coordination.k8s.io".</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>schema.GroupKind.String(): "Pod", "PodGroup.scheduling.quorum.dev".</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    /// <summary>The etcd prefix; two API versions of one resource (core and events.k8s.io Events) share it.</summary>
    public virtual string StorageName => QualifiedResource;

    public virtual bool IsCustomResource => false;

    /// <summary>Strategies that set metadata.generation to 1 on create and bump it on spec changes.</summary>
    public virtual bool TracksGeneration => false;

    /// <summary>genericregistry.Store.ReturnDeletedObject: answer a delete with the object rather than a Status.</summary>
    public virtual bool ReturnDeletedObject => false;

    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>A PUT without metadata.resourceVersion is allowed (custom resources say no).</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    public virtual IReadOnlyDictionary<string, string> MergeKeys => ObjectMetaMergeKeys;

    /// <summary>The client model whose properties define which fields survive decoding (others are dropped).</summary>
    public virtual Type? ModelType => null;

    public virtual IEnumerable<string> FieldLabels => Namespaced ? ["metadata.name", "metadata.namespace"] : ["metadata.name"];

    public bool SupportsFieldLabel(string field) => FieldLabels.Contains(field, StringComparer.Ordinal);

    public virtual string FieldValue(JsonObject obj, string field) => JsonObjects.ScalarText(JsonObjects.At(obj, field));

    /// <summary>The name rule (most kinds: DNS-1123 subdomain).</summary>
    public virtual IEnumerable<string> ValidateName(string name) => Validation.IsDns1123Subdomain(name);

    /// <summary>From this version's wire form to the stored form, kind and apiVersion stamped (the storage version's).</summary>
    public virtual JsonObject ToStorage(JsonObject wire) => WithTypeMeta(wire);

    /// <summary>From the stored form to this version's wire form, with kind and apiVersion first as Go writes them.</summary>
    public virtual JsonObject FromStorage(JsonObject stored) => WithTypeMeta(stored.DeepClone().AsObject());

    protected JsonObject WithTypeMeta(JsonObject obj)
    {
        var result = new JsonObject { ["kind"] = Kind, ["apiVersion"] = GroupVersion };
        foreach (var (k, v) in obj.ToList())
        {
            if (k is "kind" or "apiVersion") continue;
            obj.Remove(k);
            result[k] = v;
        }
        return result;
    }

    /// <summary>Decoding: drop unknown fields (with a warning), canonicalise quantities and timestamps, apply defaults.</summary>
    public virtual void Decode(JsonObject obj, ApiContext ctx)
    {
        if (ModelType is { } model) ModelSchema.For(model).Normalize(obj, this, ctx.Warnings);
    }

    /// <summary>Defaulting (SetDefaults_*), run on every decoded create/update body.</summary>
    public virtual void Default(JsonObject obj, ApiContext ctx)
    {
    }

    /// <summary>Mutating admission on create (Priority, DefaultTolerationSeconds, ServiceAccount for pods).</summary>
    public virtual void AdmitCreate(JsonObject obj, ApiContext ctx)
    {
    }

    /// <summary>rest.RESTCreateStrategy.PrepareForCreate.</summary>
    public virtual void PrepareForCreate(JsonObject obj, ApiContext ctx)
    {
        if (TracksGeneration) JsonObjects.Metadata(obj)["generation"] = 1;
    }

    /// <summary>rest.RESTUpdateStrategy.PrepareForUpdate for the main resource: status is not writable here.</summary>
    public virtual void PrepareForUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        if (HasStatus)
        {
            if (old["status"] is { } status) obj["status"] = status.DeepClone();
            else obj.Remove("status");
        }
        if (TracksGeneration && SpecChanged(obj, old)) BumpGeneration(obj, old);
    }

    /// <summary>The status strategy: only status (and, for built-ins, labels and annotations) may change.</summary>
    public virtual void PrepareForStatusUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone();
        else obj.Remove("spec");
    }

    /// <summary>Whether an update changes what metadata.generation tracks (spec, for most kinds).</summary>
    protected virtual bool SpecChanged(JsonObject obj, JsonObject old) => !JsonNode.DeepEquals(obj["spec"], old["spec"]);

    protected static void BumpGeneration(JsonObject obj, JsonObject old)
    {
        var generation = JsonObjects.Long(old["metadata"]?["generation"]) ?? 0;
        JsonObjects.Metadata(obj)["generation"] = generation + 1;
    }

    public virtual List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx) => Validation.ObjectMeta(obj, this);

    public virtual List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validation.ObjectMeta(obj, this);

    public virtual List<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validation.ObjectMeta(obj, this);

    /// <summary>Admission checks on create that answer 403 (namespace lifecycle is generic; pods add Priority).</summary>
    public virtual void ValidateAdmission(JsonObject obj, ApiContext ctx)
    {
    }

    /// <summary>rest.RESTGracefulDeleteStrategy: seconds to wait before the object really goes (0 = now).</summary>
    public virtual long GracePeriodSeconds(JsonObject obj, long? requested) => 0;

    /// <summary>Objects a delete must refuse (system namespaces, system priority classes).</summary>
    public virtual void CheckDelete(JsonObject obj)
    {
    }

    /// <summary>
    /// The object a BOOKMARK event carries: an empty object of the kind with only metadata.resourceVersion,
    /// serialised as Go serialises the empty struct (creationTimestamp null for built-in types).
    /// </summary>
    public virtual JsonObject Bookmark(long revision) => new()
    {
        ["kind"] = Kind,
        ["apiVersion"] = GroupVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = JsonObjects.Rv(revision), ["creationTimestamp"] = null },
    };

    /// <summary>List items of built-in kinds carry no kind/apiVersion (only the list does); custom resources keep theirs.</summary>
    public virtual JsonObject AsListItem(JsonObject wire)
    {
        wire.Remove("kind");
        wire.Remove("apiVersion");
        return wire;
    }

    public override string ToString() => $"{QualifiedResource}/{Version}";
}
