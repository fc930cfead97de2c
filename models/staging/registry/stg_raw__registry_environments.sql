select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(library_version as varchar) as library_version,
    cast(version_sort_key as varchar) as version_sort_key,
    cast(python_version as varchar) as python_version,
    cast(torch_version as varchar) as torch_version,
    cast(accelerator as varchar) as accelerator,
    cast(interpreter as varchar) as interpreter,
    cast(scanner_version as varchar) as scanner_version,
    cast(status as varchar) as status,
    cast(error as varchar) as error,
    cast(duration_seconds as float8) as duration_seconds,
    cast(scanned_at as timestamp) as scanned_at
from {{ source('raw', 'registry_environments') }}
