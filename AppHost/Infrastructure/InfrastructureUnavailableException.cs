namespace WarmTransfer.AppHost.Infrastructure;

/// <summary>Neither a container runtime nor the local servers are there to run Redis and RabbitMQ.</summary>
public sealed class InfrastructureUnavailableException(string message) : Exception(message);
