namespace Quorum.Kubernetes;

/// <summary>An object the scheduler cannot use as written; the message names the object and the field.</summary>
public sealed class InvalidObjectException : Exception
{
    public InvalidObjectException(string objectRef, string field, string problem)
        : base($"{objectRef}: {field}: {problem}")
    {
        ObjectRef = objectRef;
        Field = field;
    }

    public InvalidObjectException() { }
    public InvalidObjectException(string message) : base(message) { }
    public InvalidObjectException(string message, Exception inner) : base(message, inner) { }

    public string ObjectRef { get; } = "";
    public string Field { get; } = "";
}
