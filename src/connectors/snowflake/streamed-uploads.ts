import { dirname } from 'node:path';

/** The slice of axios's request config this module touches (axios is snowflake-sdk's HTTP client). */
interface UploadRequestConfig {
  data?: unknown;
  maxRedirects?: number;
}
interface AxiosInstanceLike {
  interceptors: { request: { use(onFulfilled: (config: UploadRequestConfig) => UploadRequestConfig): number } };
}

/**
 * snowflake-sdk PUTs files to GCS stages (and to the emulator's stage, which poses as one) with
 * axios, whose default transport follows redirects through `follow-redirects`. That keeps a copy of
 * the whole request body so it could replay it after a redirect: every staged file passed through
 * the worker's memory in full (a 280 MB partition file cost 280 MB of RSS). A file streamed from
 * disk is never redirected by the stage endpoint, so such requests go out on Node's plain HTTP
 * client, which streams with backpressure. Requests with in-memory bodies are left as they are.
 * Install once per process (it adds an interceptor to the SDK's shared axios instance).
 */
export function streamUploadsWithoutCopies(): void {
  let axios: AxiosInstanceLike;
  try {
    // The SDK's own copy of axios: the one whose default instance its GCS client uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by resolved path, synchronously
    axios = require(
      require.resolve('axios', { paths: [dirname(require.resolve('snowflake-sdk'))] }),
    ) as AxiosInstanceLike;
  } catch {
    return;
  }
  axios.interceptors.request.use((config) => {
    const body = config.data as { pipe?: unknown } | null | undefined;
    if (body && typeof body.pipe === 'function') config.maxRedirects = 0;
    return config;
  });
}
