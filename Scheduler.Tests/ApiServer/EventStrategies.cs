using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// core/v1 Events (pkg/registry/core/event): stored once under /registry/events and also served as
/// events.k8s.io/v1 (<see cref="EventsV1Strategy"/>), so an event written through either API is
/// visible through both. Creating through core/v1 gets the lenient legacy validation.
/// </summary>
internal class CoreEventStrategy : ResourceKind
{
    public override string StorageName => "events";

    public override bool AllowCreateOnUpdate => true;

    public override Type ModelType => typeof(Corev1Event);

    public override IEnumerable<string> FieldLabels =>
    [
        "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ];

    public override string FieldValue(JsonObject obj, string field) => field == "source"
        ? JsonObjects.ScalarText(JsonObjects.At(obj, "source.component"))
        : base.FieldValue(obj, field);

    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx)
    {
        // Legacy core/v1 event validation does not check metadata beyond what every object needs.
        var errs = new List<FieldError>();
        if (JsonObjects.Name(obj).Length == 0) errs.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        errs.AddRange(LegacyValidate(obj, strict: false));
        return errs;
    }

    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => ValidateCreate(obj, ctx);

    /// <summary>legacyValidateEvent (pkg/apis/core/validation/events.go), on the stored (core) form.</summary>
    protected static List<FieldError> LegacyValidate(JsonObject ev, bool strict)
    {
        var errs = new List<FieldError>();
        var ns = JsonObjects.Namespace(ev) ?? "";
        var involvedNs = JsonObjects.Str(ev["involvedObject"]?["namespace"]) ?? "";
        var controllerField = strict ? "reportingController" : "reportingComponent";
        if (string.IsNullOrEmpty(JsonObjects.Str(ev["eventTime"])))
        {
            if (involvedNs.Length == 0 ? ns is not ("" or "default") : ns != involvedNs)
                errs.Add(FieldError.Invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
        }
        else
        {
            if (involvedNs.Length == 0 && ns is not ("default" or "kube-system"))
                errs.Add(FieldError.Invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
            var controller = JsonObjects.Str(ev["reportingComponent"]) ?? "";
            if (controller.Length == 0) errs.Add(FieldError.Required(controllerField, ""));
            else foreach (var msg in Validation.QualifiedName(controller)) errs.Add(FieldError.Invalid(controllerField, controller, msg));
            CheckLength(ev, "reportingInstance", 128, errs, required: true);
            CheckLength(ev, "action", 128, errs, required: true);
            CheckLength(ev, "reason", 128, errs, required: true);
            var message = JsonObjects.Str(ev["message"]) ?? "";
            if (message.Length > 1024) errs.Add(FieldError.Invalid(strict ? "note" : "message", "", "can have at most 1024 characters"));
        }
        foreach (var msg in Validation.IsDns1123Subdomain(ns)) errs.Add(FieldError.Invalid("namespace", ns, msg));
        return errs;
    }

    private static void CheckLength(JsonObject ev, string field, int max, List<FieldError> errs, bool required)
    {
        var value = JsonObjects.Str(ev[field]) ?? "";
        if (required && value.Length == 0) errs.Add(FieldError.Required(field, ""));
        if (value.Length > max) errs.Add(FieldError.Invalid(field, "", $"can have at most {max} characters"));
    }
}

/// <summary>
/// events.k8s.io/v1 Events: the same stored objects under other field names (note = message,
/// regarding = involvedObject, reportingController = reportingComponent, deprecated* = the old
/// count/source/timestamps), with the strict validation the new API applies on create.
/// </summary>
internal sealed class EventsV1Strategy : CoreEventStrategy
{
    private static readonly (string V1, string Core)[] Renames =
    [
        ("note", "message"),
        ("regarding", "involvedObject"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public override Type ModelType => typeof(Eventsv1Event);

    public override IEnumerable<string> FieldLabels =>
        base.FieldLabels.Concat(["regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion", "reportingController"]);

    public override string FieldValue(JsonObject obj, string field)
    {
        if (field.StartsWith("regarding.", StringComparison.Ordinal)) field = "involvedObject." + field["regarding.".Length..];
        if (field == "reportingController") field = "reportingComponent";
        return base.FieldValue(obj, field);
    }

    public override JsonObject ToStorage(JsonObject wire) => Rename(wire, toCore: true, "Event", "v1");

    public override JsonObject FromStorage(JsonObject stored) => WithTypeMeta(Rename(stored.DeepClone().AsObject(), toCore: false, Kind, GroupVersion));

    private static JsonObject Rename(JsonObject obj, bool toCore, string kind, string apiVersion)
    {
        var result = new JsonObject { ["kind"] = kind, ["apiVersion"] = apiVersion };
        foreach (var (key, value) in obj.ToList())
        {
            if (key is "kind" or "apiVersion") continue;
            var target = key;
            foreach (var (v1, core) in Renames)
            {
                if (toCore && key == v1) target = core;
                else if (!toCore && key == core) target = v1;
            }
            obj.Remove(key);
            result[target] = value;
        }
        return result;
    }

    /// <summary>ValidateEventCreate for events.k8s.io/v1 (on the stored form, so names are the core ones underneath).</summary>
    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx)
    {
        var errs = Validation.ObjectMeta(obj, this);
        errs.AddRange(LegacyValidate(obj, strict: true));
        if (string.IsNullOrEmpty(JsonObjects.Str(obj["eventTime"]))) errs.Add(FieldError.Required("eventTime", ""));
        var type = JsonObjects.Str(obj["type"]) ?? "";
        if (type is not ("Normal" or "Warning")) errs.Add(FieldError.Invalid("type", "", $"has invalid value: {type}"));
        if (obj["firstTimestamp"] is not null) errs.Add(FieldError.Invalid("deprecatedFirstTimestamp", "", "needs to be unset"));
        if (obj["lastTimestamp"] is not null) errs.Add(FieldError.Invalid("deprecatedLastTimestamp", "", "needs to be unset"));
        if (JsonObjects.Long(obj["count"]) is { } count && count != 0) errs.Add(FieldError.Invalid("deprecatedCount", "", "needs to be unset"));
        if (obj["source"] is JsonObject source && (!string.IsNullOrEmpty(JsonObjects.Str(source["component"])) || !string.IsNullOrEmpty(JsonObjects.Str(source["host"]))))
            errs.Add(FieldError.Invalid("deprecatedSource", "", "needs to be unset"));
        if (obj["series"] is JsonObject series)
        {
            if ((JsonObjects.Long(series["count"]) ?? 0) < 2) errs.Add(FieldError.Invalid("series.count", "", "should be at least 2"));
            if (series["lastObservedTime"] is null) errs.Add(FieldError.Required("series.lastObservedTime", ""));
        }
        return errs;
    }

    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validation.ObjectMeta(obj, this);
}
