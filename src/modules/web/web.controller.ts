import { Body, Controller, Get, HttpCode, Param, Post, Query, Redirect, Req, Res, UploadedFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FormRoute } from '../../core/http/upload-route.metadata.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { AppError } from '../../core/errors/app-error.js';
import { Public, RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount, OptionalAccount } from '../accounts/auth.guard.js';
import { ASSETS, type AssetName } from './assets.js';
import type { Viewer } from './layout.js';
import { WebPages } from './web-pages.js';
import { WebService } from './web.service.js';

/** The pages' redirect after a form: 303, so the browser GETs the next page. */
const SEE_OTHER = 303;

function viewer(request: Request, principal?: Principal): Viewer {
  return { principal, path: request.originalUrl };
}

/**
 * The web pages: server-rendered HTML over the same services as the API. Reads are GET
 * pages; each form posts to a route here and is redirected to the page that shows the
 * result (post/redirect/get). A page that needs an account sends the visitor to sign in.
 */
@Controller()
@WebPages()
export class WebController {
  constructor(private readonly web: WebService) {}

  @Get()
  @Public()
  home(@OptionalAccount() principal: Principal | undefined, @Req() req: Request) {
    return this.web.home(viewer(req, principal));
  }

  @Get('login')
  @Public()
  login(@OptionalAccount() principal: Principal | undefined, @Req() req: Request, @Query('next') next: unknown) {
    return this.web.login(viewer(req, principal), next);
  }

  @Post('login')
  @Public()
  @FormRoute()
  @Redirect('/', SEE_OTHER)
  async signIn(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    return { url: await this.web.signIn(req, res, body) };
  }

  @Get('register')
  @Public()
  register(@OptionalAccount() principal: Principal | undefined, @Req() req: Request) {
    return this.web.register(viewer(req, principal));
  }

  @Post('register')
  @Public()
  @FormRoute()
  @HttpCode(201)
  signUp(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() body: unknown) {
    return this.web.signUp(viewer(req), req, res, body);
  }

  @Post('logout')
  @RequireScope('read')
  @FormRoute()
  @Redirect('/', SEE_OTHER)
  async signOut(@CurrentAccount() principal: Principal, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    await this.web.signOut(principal, req, res);
  }

  @Get('assets/:name')
  @Public()
  asset(@Param('name') name: string, @Res() res: Response): void {
    if (!Object.hasOwn(ASSETS, name)) throw AppError.notFound(`Asset "${name}"`);
    const asset = ASSETS[name as AssetName];
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(asset.type).send(asset.body);
  }

  @Get('c/:slug')
  @Public()
  challenge(@OptionalAccount() principal: Principal | undefined, @Req() req: Request, @Param('slug') slug: string) {
    return this.web.challenge(viewer(req, principal), slug);
  }

  @Post('c/:slug/join')
  @RequireScope('submit')
  @FormRoute()
  @Redirect('/', SEE_OTHER)
  async join(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    await this.web.join(principal, slug, body);
    return { url: `/c/${slug}#submit-title` };
  }

  @Post('c/:slug/submit')
  @RequireScope('submit')
  @UploadRoute('file')
  @Redirect('/', SEE_OTHER)
  async submit(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined, @Body() body: unknown) {
    return { url: await this.web.submit(principal, slug, file, body) };
  }

  @Get('c/:slug/leaderboard')
  @Public()
  leaderboard(@OptionalAccount() principal: Principal | undefined, @Req() req: Request, @Param('slug') slug: string, @Query('phase') phase: unknown) {
    return this.web.leaderboard(viewer(req, principal), slug, phase);
  }

  @Get('c/:slug/submissions')
  @RequireScope('read')
  mySubmissions(@CurrentAccount() principal: Principal, @Req() req: Request, @Param('slug') slug: string) {
    return this.web.mySubmissions({ ...viewer(req), principal }, slug);
  }

  @Get('c/:slug/submissions/:id')
  @RequireScope('read')
  submission(@CurrentAccount() principal: Principal, @Req() req: Request, @Param('slug') slug: string, @Param('id') id: string) {
    return this.web.submission({ ...viewer(req), principal }, slug, id);
  }

  @Get('c/:slug/organize')
  @RequireScope('organize')
  organize(@CurrentAccount() principal: Principal, @Req() req: Request, @Param('slug') slug: string) {
    return this.web.organize({ ...viewer(req), principal }, slug);
  }

  @Post('c/:slug/organize/phases/:phase/close')
  @RequireScope('organize')
  @FormRoute()
  @Redirect('/', SEE_OTHER)
  async closePhase(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Param('phase') phase: string) {
    await this.web.closePhase(principal, slug, phase);
    return { url: `/c/${slug}/organize#phases` };
  }

  @Post('c/:slug/organize/rescore')
  @RequireScope('organize')
  @FormRoute()
  @Redirect('/', SEE_OTHER)
  async rescore(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    await this.web.rescore(principal, slug);
    return { url: `/c/${slug}/organize#rescoring` };
  }
}
