/**
 * The one error the image core throws: a stable `code` a job's failure carries
 * (`unsupported_format`, `unsupported_encoding`, `corrupt_image`, `image_too_large`, `empty_image`)
 * and a message a person can act on.
 */
export type ImageErrorCode =
  | 'empty_image'
  | 'unsupported_format'
  | 'unsupported_encoding'
  | 'corrupt_image'
  | 'image_too_large';

export class ImageError extends Error {
  /** The same bytes fail the same way: a job failing with it is not retried. */
  readonly permanent = true;
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string) {
    super(message);
    // The name is the code: the kit records a failed job's error as `name: message`, so it reads
    // `corrupt_image: …`, code first.
    this.name = code;
    this.code = code;
  }
}

export const corrupt = (message: string) => new ImageError('corrupt_image', message);
