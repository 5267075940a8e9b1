"""A stand-in for kafka-python's test/service.py, which its sdist does not ship though its
integration fixtures import it. kafka-python.sh gives the fixtures a running broker (KAFKA_URI),
so they only ever use ExternalService: a broker they neither start nor stop."""


class ExternalService:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def dump_logs(self) -> None:
        pass

    def wait_for(self, pattern: str, timeout: float = 30) -> bool:
        return True


class SpawnedService:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("kafka-python.sh runs the suite against its own broker (KAFKA_URI); nothing to spawn")
